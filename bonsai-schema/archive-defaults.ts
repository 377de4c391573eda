/**
 * Defaults of MAX_ARCHIVE_ENTRIES and MAX_UNPACKED_SIZE (registry settings, `bonsai verify/check` flags),
 * in a file of their own so help text and settings read them without loading the archive reader.
 */
export const DEFAULT_MAX_ARCHIVE_ENTRIES = 100_000;
export const DEFAULT_MAX_UNPACKED_SIZE = 1024 * 1024 * 1024;
