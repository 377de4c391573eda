import { randomUUID } from 'node:crypto';
import os from 'node:os';

/** Names a job holder in the job table (`locked_by`): host, pid and a random part. */
export function newHolderId(): string {
  return `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
