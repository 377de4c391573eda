import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Queryable } from '../db/port.js';
import { renewLease } from './queue.js';

/** Names a job holder in the job table (`locked_by`): host, pid and a random part. */
export function newHolderId(): string {
  return `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * Renews the lease of a running job every third of its length while the holder works on it, so no other
 * process takes it over. Returns the function that stops renewing.
 */
export function holdLease(
  q: Queryable,
  jobId: number,
  holder: string,
  leaseMs: number,
  onFailure: (err: unknown) => void,
): () => void {
  const heartbeat = setInterval(
    () => {
      renewLease(q, jobId, holder, leaseMs).catch(onFailure);
    },
    Math.max(leaseMs / 3, 100),
  );
  return () => clearInterval(heartbeat);
}
