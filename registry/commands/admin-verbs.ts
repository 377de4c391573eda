/** What the token and audit verbs share: their exit codes and how they show a time. */
export const ADMIN_EXIT_CODES = (done: string) =>
  [
    [0, done],
    [1, 'The input is wrong, such as an unknown scope, duration or token name.'],
    [2, 'Usage error, such as an invalid setting.'],
    [3, 'The database failed, or serve holds the embedded database (stop it first).'],
  ] as const;

/** A time to the second (UTC), or `-` when there is none. */
export const shownDate = (d: Date | null) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');
