/** The file a mirror folder records what it holds in; its own file so `mirror --help` reads it cheaply. */
export const INDEX_FILE = 'bonsai-mirror.json';
