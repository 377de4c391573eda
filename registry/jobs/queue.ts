import type { Queryable } from '../db/port.js';
import { isUniqueViolation } from '../db/sql-errors.js';

/** `sync`: bring one asset's versions in line with its GitHub releases (every trigger makes one). */
export type JobKind = 'sync';

export interface SyncPayload {
  /** Re-ingest every release, even those whose fingerprint did not change. */
  force: boolean;
  /** Ask GitHub with the stored ETags first; when nothing changed, stop there (the poller's mode). */
  conditional: boolean;
  /** What asked for it: webhook, ci, poll, add-repo, api, sync. */
  trigger: string;
}

export type JobState = 'pending' | 'running' | 'done' | 'failed';

export interface JobRecord {
  id: number;
  kind: JobKind;
  assetId: number | null;
  payload: SyncPayload;
  state: JobState;
  attempts: number;
  /** Taken anew by every claim: with `lockedBy`, it fences the holder's writes (see HeldJob). */
  lease: number;
  runAt: Date;
  lockedBy: string | null;
  lastError: string | null;
  result: unknown;
  createdAt: Date;
  finishedAt: Date | null;
}

interface JobRow {
  id: number;
  kind: JobKind;
  asset_id: number | null;
  payload: SyncPayload;
  state: JobState;
  attempts: number;
  lease: number;
  run_at: Date;
  locked_by: string | null;
  last_error: string | null;
  result: unknown;
  created_at: Date;
  finished_at: Date | null;
}

const COLUMNS =
  'id, kind, asset_id, payload, state, attempts, lease, run_at, locked_by, last_error, result, created_at, finished_at';

/**
 * One claim of a running job: the holder and the lease number it took. Every write of the job names both
 * (in its WHERE, or checked first in its transaction), so once another process claimed the job (after
 * this one paused past its lease), this holder's writes change nothing.
 */
export interface HeldJob {
  id: number;
  holder: string;
  lease: number;
}

/** The claim a claimed (or started) job record stands for. */
export function heldBy(job: JobRecord, holder: string): HeldJob {
  return { id: job.id, holder, lease: job.lease };
}

/** The condition a held job's row meets while its holder still holds it ($1 id, $2 holder, $3 lease). */
const HELD = "id = $1 AND locked_by = $2 AND lease = $3 AND state = 'running'";

function toRecord(r: JobRow): JobRecord {
  return {
    id: r.id,
    kind: r.kind,
    assetId: r.asset_id,
    payload: r.payload,
    state: r.state,
    attempts: r.attempts,
    lease: r.lease,
    runAt: r.run_at,
    lockedBy: r.locked_by,
    lastError: r.last_error,
    result: r.result,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
  };
}

/**
 * The sync job of an asset: identical pending requests collapse into one row. One statement, so it always
 * answers with a job id: the new row, or the pending one it joined (`created` false; `xmax = 0` only for
 * a freshly inserted row). A pending row a worker claims meanwhile no longer matches the index, and
 * Postgres inserts a new row instead.
 */
export async function enqueueSync(
  q: Queryable,
  assetId: number,
  payload: SyncPayload,
): Promise<{ id: number; created: boolean }> {
  const key = `sync:${assetId}:${payload.force ? 'force' : 'normal'}:${payload.conditional ? 'conditional' : 'full'}`;
  const { rows } = await q.query<{ id: number; created: boolean }>(
    `INSERT INTO jobs (kind, asset_id, payload, dedupe_key) VALUES ('sync', $1, $2::json, $3)
     ON CONFLICT (dedupe_key) WHERE state = 'pending' DO UPDATE SET dedupe_key = EXCLUDED.dedupe_key
     RETURNING id, (xmax = 0) AS created`,
    [assetId, JSON.stringify(payload), key],
  );
  return rows[0]!;
}

/**
 * Takes the oldest due job: pending and due, or running with an expired lease (its process died).
 * `FOR UPDATE SKIP LOCKED` lets several processes claim at once without taking the same row. One asset is
 * ingested by one process at a time: a pending job waits while another job of its asset is running (even
 * one whose lease ran out: that one is taken back first), and the unique index on running jobs settles
 * two claims racing for jobs of one asset: the later one finds nothing to claim now.
 */
export async function claimJob(
  q: Queryable,
  worker: string,
  leaseMs: number,
): Promise<JobRecord | undefined> {
  try {
    const { rows } = await q.query<JobRow>(
      `UPDATE jobs SET state = 'running', locked_by = $1, locked_until = now() + $2 * interval '1 millisecond',
         attempts = attempts + 1, lease = lease + 1
       WHERE id = (
         SELECT j.id FROM jobs j
         WHERE ((j.state = 'pending' AND j.run_at <= now()) OR (j.state = 'running' AND j.locked_until < now()))
           AND NOT EXISTS (
             SELECT 1 FROM jobs r WHERE r.asset_id = j.asset_id AND r.id <> j.id AND r.state = 'running')
         ORDER BY j.run_at, j.id
         LIMIT 1
         FOR UPDATE SKIP LOCKED)
       RETURNING ${COLUMNS}`,
      [worker, leaseMs],
    );
    return rows[0] && toRecord(rows[0]);
  } catch (err) {
    if (isUniqueViolation(err)) return undefined;
    throw err;
  }
}

/**
 * A job this process runs itself, now (`bonsai registry sync`): inserted already running, so it obeys the
 * same rule as claimed jobs (one running job per asset). Undefined when a job of the asset is running.
 */
export async function startOwnJob(
  q: Queryable,
  assetId: number,
  payload: SyncPayload,
  holder: string,
  leaseMs: number,
): Promise<JobRecord | undefined> {
  try {
    const { rows } = await q.query<JobRow>(
      `INSERT INTO jobs (kind, asset_id, payload, state, attempts, lease, locked_by, locked_until)
       SELECT 'sync', $1::int, $2::json, 'running', 1, 1, $3, now() + $4 * interval '1 millisecond'
       WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE asset_id = $1::int AND state = 'running')
       RETURNING ${COLUMNS}`,
      [assetId, JSON.stringify(payload), holder, leaseMs],
    );
    return rows[0] && toRecord(rows[0]);
  } catch (err) {
    if (isUniqueViolation(err)) return undefined;
    throw err;
  }
}

/** The job of an asset running now, if any. */
export async function runningJob(q: Queryable, assetId: number): Promise<JobRecord | undefined> {
  const { rows } = await q.query<JobRow>(
    `SELECT ${COLUMNS} FROM jobs WHERE asset_id = $1 AND state = 'running'`,
    [assetId],
  );
  return rows[0] && toRecord(rows[0]);
}

/** Extends the lease of a running job; false when this holder no longer holds it. */
export async function renewLease(q: Queryable, held: HeldJob, leaseMs: number): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE jobs SET locked_until = now() + $4 * interval '1 millisecond' WHERE ${HELD}`,
    [held.id, held.holder, held.lease, leaseMs],
  );
  return rowCount === 1;
}

/** False when this holder no longer holds the job (nothing written). */
export async function completeJob(q: Queryable, held: HeldJob, result: unknown): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE jobs SET state = 'done', result = $4::json, last_error = NULL, finished_at = now(), locked_until = NULL
     WHERE ${HELD}`,
    [held.id, held.holder, held.lease, JSON.stringify(result ?? null)],
  );
  return rowCount === 1;
}

/**
 * A failed run: back to pending after `retryInMs`, or `failed` for good when that is undefined. False when
 * this holder no longer holds the job (nothing written).
 */
export async function failJob(
  q: Queryable,
  held: HeldJob,
  error: string,
  retryInMs: number | undefined,
): Promise<boolean> {
  const params = [held.id, held.holder, held.lease, error];
  const { rowCount } =
    retryInMs === undefined
      ? await q.query(
          `UPDATE jobs SET state = 'failed', last_error = $4, finished_at = now(), locked_until = NULL
           WHERE ${HELD}`,
          params,
        )
      : await q.query(
          `UPDATE jobs SET state = 'pending', last_error = $4, run_at = now() + $5 * interval '1 millisecond',
             locked_until = NULL
           WHERE ${HELD}
             AND NOT EXISTS (SELECT 1 FROM jobs p WHERE p.dedupe_key = jobs.dedupe_key AND p.state = 'pending')`,
          [...params, retryInMs],
        );
  if (rowCount === 0 && retryInMs !== undefined) {
    // An identical job is already pending (a newer trigger): it will do this work, so this one is done.
    const superseded = await q.query(
      `UPDATE jobs SET state = 'done', last_error = $4, finished_at = now(), locked_until = NULL
       WHERE ${HELD}`,
      [...params.slice(0, 3), `${error} (superseded by a newer pending job)`],
    );
    return superseded.rowCount === 1;
  }
  return rowCount === 1;
}

/**
 * Hands this worker's running jobs back (graceful stop), or every running job when `worker` is undefined:
 * only for the embedded database, where a single process runs and nothing else can hold them. The claim
 * that took a job stays counted (JOB_ATTEMPTS): a release that makes its process stop or get restarted
 * every time must end as JOB_ABANDONED, not loop.
 */
export async function releaseRunningJobs(q: Queryable, worker?: string): Promise<number> {
  const mine = "state = 'running' AND ($1::text IS NULL OR locked_by = $1)";
  const pendingTwin =
    "EXISTS (SELECT 1 FROM jobs p WHERE p.dedupe_key = jobs.dedupe_key AND p.state = 'pending')";
  // A newer identical job is already pending: it will do the work, so these are done.
  await q.query(
    `UPDATE jobs SET state = 'done', last_error = 'superseded by a newer pending job', finished_at = now(),
       locked_until = NULL
     WHERE ${mine} AND ${pendingTwin}`,
    [worker ?? null],
  );
  const { rowCount } = await q.query(
    `UPDATE jobs SET state = 'pending', locked_by = NULL, locked_until = NULL WHERE ${mine}`,
    [worker ?? null],
  );
  return rowCount;
}

export async function getJob(q: Queryable, id: number): Promise<JobRecord | undefined> {
  const { rows } = await q.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE id = $1`, [id]);
  return rows[0] && toRecord(rows[0]);
}

/** Newest first. */
export async function recentJobs(q: Queryable, assetId: number, limit: number): Promise<JobRecord[]> {
  const { rows } = await q.query<JobRow>(
    `SELECT ${COLUMNS} FROM jobs WHERE asset_id = $1 ORDER BY id DESC LIMIT $2`,
    [assetId, limit],
  );
  return rows.map(toRecord);
}

export async function jobCounts(q: Queryable): Promise<Record<JobState, number>> {
  const { rows } = await q.query<{ state: JobState; n: number }>(
    'SELECT state, count(*)::int AS n FROM jobs GROUP BY state',
  );
  const counts: Record<JobState, number> = { pending: 0, running: 0, done: 0, failed: 0 };
  for (const r of rows) counts[r.state] = r.n;
  return counts;
}
