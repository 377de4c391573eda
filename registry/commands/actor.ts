import os from 'node:os';

/** Who runs a CLI verb, for the audit log: the operating-system user. */
export function cliActor(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}
