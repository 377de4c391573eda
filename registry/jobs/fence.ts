import type { Db, Queryable } from '../db/port.js';
import { RegistryError } from '../errors.js';
import type { HeldJob } from './queue.js';

/** This process no longer holds the job: another claimed it (or it ended); nothing was written. */
export function leaseLost(held: HeldJob): RegistryError {
  return new RegistryError(
    'JOB_LEASE_LOST',
    `job ${held.id} is no longer held by ${held.holder} (lease ${held.lease}): another process took it over or it ended`,
  );
}

export function isLeaseLost(err: unknown): boolean {
  return err instanceof RegistryError && err.code === 'JOB_LEASE_LOST';
}

/**
 * Throws JOB_LEASE_LOST unless `held` still holds its job. Inside a transaction the job row stays locked
 * until the commit, so a claim by another process waits for this transaction: the writes after the check
 * are ordered before any takeover.
 */
export async function assertHeld(tx: Queryable, held: HeldJob): Promise<void> {
  const { rows } = await tx.query(
    `SELECT 1 FROM jobs WHERE id = $1 AND locked_by = $2 AND lease = $3 AND state = 'running' FOR UPDATE`,
    [held.id, held.holder, held.lease],
  );
  if (rows.length === 0) throw leaseLost(held);
}

/**
 * A transaction that writes for a job: it first checks the job is still held (fencing), so a holder
 * that lost its lease writes nothing. Without `held` (a sync run outside any job) it is a plain one.
 */
export function fencedTransaction<T>(
  db: Db,
  held: HeldJob | undefined,
  fn: (tx: Queryable) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    if (held) await assertHeld(tx, held);
    return fn(tx);
  });
}
