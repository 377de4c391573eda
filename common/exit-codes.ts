/** Exit codes shared by every verb (DESIGN: conventions). */
export const EXIT = {
  OK: 0,
  /** The input is wrong: validation or verification failed. */
  INVALID: 1,
  /** The command line is wrong. */
  USAGE: 2,
  /** An outside service (GitHub, a registry, a database) failed. */
  SERVICE: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
