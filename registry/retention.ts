import type { Logger } from 'pino';
import type { Db } from './db/port.js';
import { messageOf } from './errors.js';

/** Rows deleted per statement: short transactions, no long lock on a busy table. */
export const RETENTION_BATCH = 500;
/** How often a replica offers to prune; only one per period does (the claim below). */
export const RETENTION_PERIOD_MS = 60 * 60 * 1000;

const TABLES = [
  {
    name: 'jobs',
    key: 'id',
    old: "state IN ('done', 'failed') AND finished_at < $1",
  },
  { name: 'webhook_deliveries', key: 'delivery_id', old: 'received_at < $1' },
  { name: 'ingest_log', key: 'id', old: 'at < $1' },
] as const;

export type RetentionCounts = Record<(typeof TABLES)[number]['name'], number>;

/**
 * Claims this period's pruning for this process: the first replica to write its start time wins, the
 * others see a run younger than the period and skip. Works the same on PGlite (one process).
 */
async function claimRun(db: Db, now: Date, periodMs: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO registry_state (key, value) VALUES ('retention_run', $1)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value WHERE registry_state.value < $2`,
    [now.toISOString(), new Date(now.getTime() - periodMs + 60_000).toISOString()],
  );
  return rowCount === 1;
}

/**
 * Deletes finished jobs, webhook deliveries and ingest-log rows older than `days`, in batches of
 * RETENTION_BATCH, unless another replica pruned during this period. Pending and running jobs, assets,
 * versions and the audit log are never pruned. Returns the counts, or undefined when skipped.
 */
export async function pruneOldRows(
  db: Db,
  days: number,
  options: { now?: Date; periodMs?: number; batch?: number } = {},
): Promise<RetentionCounts | undefined> {
  const now = options.now ?? new Date();
  if (!(await claimRun(db, now, options.periodMs ?? RETENTION_PERIOD_MS))) return undefined;
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  const batch = options.batch ?? RETENTION_BATCH;
  const counts: RetentionCounts = { jobs: 0, webhook_deliveries: 0, ingest_log: 0 };
  for (const table of TABLES) {
    for (;;) {
      const { rowCount } = await db.query(
        `DELETE FROM ${table.name} WHERE ${table.key} IN (
           SELECT ${table.key} FROM ${table.name} WHERE ${table.old} ORDER BY ${table.key} LIMIT $2)`,
        [cutoff, batch],
      );
      counts[table.name] += rowCount;
      if (rowCount < batch) break;
      // Let other work in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return counts;
}

/** Prunes at start and every period; failures are logged and retried next period. Returns the stopper. */
export function scheduleRetention(db: Db, days: number, logger: Logger): () => void {
  if (days <= 0) return () => undefined;
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const counts = await pruneOldRows(db, days);
      if (counts) logger.info({ retentionDays: days, pruned: counts }, 'retention: old rows pruned');
      else logger.info('retention: skipped, another replica pruned within the hour');
    } catch (err) {
      logger.warn({ err: messageOf(err) }, 'retention: pruning failed; retried next period');
    } finally {
      running = false;
    }
  };
  void run();
  const timer = setInterval(() => void run(), RETENTION_PERIOD_MS);
  timer.unref();
  return () => clearInterval(timer);
}
