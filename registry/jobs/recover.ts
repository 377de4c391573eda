import type { Db } from '../db/port.js';
import { releaseRunningJobs } from './queue.js';

/**
 * The embedded database is open in one process only: the jobs it shows running were interrupted (a stop
 * or a crash of the process that held them) and go back to the queue. Called before this process runs
 * jobs (`serve`'s worker, `bonsai registry sync`); with Postgres, leases running out do this instead.
 */
export async function recoverInterruptedJobs(db: Db): Promise<number> {
  if (db.kind !== 'pglite') return 0;
  return releaseRunningJobs(db);
}
