import type { Db } from '../db/port.js';
import { takeAssetsDueForPoll } from '../store/assets.js';
import { enqueueSync } from './queue.js';

/**
 * The poller's step: every asset not polled for `intervalMs` gets a conditional sync job (a 304 from
 * GitHub then costs nothing). Marking the assets polled and queuing their jobs is one transaction, so an
 * asset is never marked polled without its job. Returns the assets queued.
 */
export function enqueueDuePolls(db: Db, intervalMs: number): Promise<number[]> {
  return db.transaction(async (tx) => {
    const due = await takeAssetsDueForPoll(tx, intervalMs);
    for (const assetId of due) {
      await enqueueSync(tx, assetId, { force: false, conditional: true, trigger: 'poll' });
    }
    return due;
  });
}
