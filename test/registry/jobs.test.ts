import { pino } from 'pino';
import { createLogger } from '../../registry/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, Queryable, SqlValue } from '../../registry/db/port.js';
import {
  claimJob,
  completeJob,
  enqueueSync,
  failJob,
  getJob,
  heldBy,
  releaseRunningJobs,
  renewLease,
  type JobRecord,
  type SyncPayload,
} from '../../registry/jobs/queue.js';
import { enqueueDuePolls } from '../../registry/jobs/poll.js';
import { JobWorker, backoffDelay, type WorkerOptions } from '../../registry/jobs/worker.js';
import { registerAsset } from '../../registry/store/assets.js';
import { DB_KINDS, openTestDb, type TestDb } from './support/databases.js';
import { answeredOrWaiting } from './support/postgres.js';
import { waitFor } from './support/wait.js';

const FULL: SyncPayload = { force: false, conditional: false, trigger: 'test' };
const LEASE = 60_000;
const silent = pino({ level: 'silent' });

async function newAsset(db: Db, name: string): Promise<number> {
  return (await registerAsset(db, 'jobs', name, {})).asset.id;
}

/** Finishes every job left by an earlier test so each test starts with an empty queue. */
async function drain(db: Db) {
  await db.query("UPDATE jobs SET state = 'done' WHERE state IN ('pending', 'running')");
}

describe.each(DB_KINDS)('job table on %s', (kind) => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t?.cleanup());

  it('collapses identical pending jobs into one row', async () => {
    await drain(db);
    const asset = await newAsset(db, 'dedupe');
    const a = await enqueueSync(db, asset, FULL);
    const b = await enqueueSync(db, asset, { ...FULL, trigger: 'other' });
    const forced = await enqueueSync(db, asset, { ...FULL, force: true });
    expect(a.created).toBe(true);
    expect(b).toEqual({ id: a.id, created: false });
    expect(forced.id).not.toBe(a.id);
    // Once running, a new trigger makes a new pending job (the release may have changed since).
    const claimed = await claimJob(db, 'w1', LEASE);
    expect(claimed?.id).toBe(a.id);
    const c = await enqueueSync(db, asset, FULL);
    expect(c.created).toBe(true);
  });

  it('answers with the job id even when a worker takes the pending job during the enqueue', async () => {
    await drain(db);
    const asset = await newAsset(db, 'claimed-meanwhile');
    const { id } = await enqueueSync(db, asset, FULL);
    const worker = kind === 'postgres' ? await t.reopen() : db;
    let claimed: JobRecord | undefined;
    // A connection on which a worker claims the pending job right after the enqueue's first statement.
    const racing: Queryable = {
      async query<T extends object>(sql: string, params?: readonly SqlValue[]) {
        const result = await db.query<T>(sql, params);
        claimed ??= await claimJob(worker, 'w1', LEASE);
        return result;
      },
    };
    expect(await enqueueSync(racing, asset, FULL)).toEqual({ id, created: false });
    expect(claimed?.id).toBe(id);
  });

  it('claims, completes, and retries with backoff until the attempts run out', async () => {
    await drain(db);
    const asset = await newAsset(db, 'retry');
    const { id } = await enqueueSync(db, asset, FULL);
    const first = await claimJob(db, 'w1', LEASE);
    expect(first).toMatchObject({ id, state: 'running', attempts: 1, lockedBy: 'w1', payload: FULL });
    expect(await claimJob(db, 'w2', LEASE)).toBeUndefined();

    // Retry in an hour: pending, but not due.
    expect(await failJob(db, heldBy(first!, 'w1'), 'GitHub said 502', 3_600_000)).toBe(true);
    expect(await getJob(db, id)).toMatchObject({ state: 'pending', lastError: 'GitHub said 502' });
    expect(await claimJob(db, 'w2', LEASE)).toBeUndefined();

    await db.query('UPDATE jobs SET run_at = now() WHERE id = $1', [id]);
    const second = await claimJob(db, 'w2', LEASE);
    expect(second).toMatchObject({ id, attempts: 2, lockedBy: 'w2' });
    // Only the holder may finish it.
    expect(await completeJob(db, heldBy(first!, 'w1'), { ok: true })).toBe(false);
    expect(await failJob(db, heldBy(second!, 'w2'), 'still failing', undefined)).toBe(true);
    expect(await getJob(db, id)).toMatchObject({ state: 'failed', lastError: 'still failing' });
  });

  it('runs one job per asset at a time', async () => {
    await drain(db);
    const asset = await newAsset(db, 'serial');
    const other = await newAsset(db, 'parallel');
    await enqueueSync(db, asset, FULL);
    const first = await claimJob(db, 'w1', LEASE);
    await enqueueSync(db, asset, FULL);
    const { id: otherJob } = await enqueueSync(db, other, FULL);
    // The second job of `asset` waits; the other asset's job goes ahead.
    expect((await claimJob(db, 'w2', LEASE))?.id).toBe(otherJob);
    expect(await claimJob(db, 'w3', LEASE)).toBeUndefined();
    await completeJob(db, heldBy(first!, 'w1'), null);
    expect((await claimJob(db, 'w3', LEASE))?.assetId).toBe(asset);
  });

  it('gives a job whose lease ran out (its process died) to another worker', async () => {
    await drain(db);
    const asset = await newAsset(db, 'lease');
    const { id } = await enqueueSync(db, asset, FULL);
    const dead = (await claimJob(db, 'dead-worker', 1))!;
    const taken = (await waitFor('the lease to run out', () => claimJob(db, 'w2', LEASE)))!;
    expect(taken).toMatchObject({ id, attempts: 2, lease: 2, lockedBy: 'w2' });
    expect(await completeJob(db, heldBy(dead, 'dead-worker'), null)).toBe(false);
    expect(await completeJob(db, heldBy(taken, 'w2'), null)).toBe(true);
  });

  it('fences a holder by its lease, even when the same worker claimed the job again', async () => {
    await drain(db);
    const asset = await newAsset(db, 'fenced');
    const { id } = await enqueueSync(db, asset, FULL);
    const paused = (await claimJob(db, 'w1', 1))!;
    const again = (await waitFor('the lease to run out', () => claimJob(db, 'w1', LEASE)))!;
    expect(again).toMatchObject({ id, lockedBy: 'w1', lease: paused.lease + 1 });
    const stale = heldBy(paused, 'w1');
    expect(await renewLease(db, stale, LEASE)).toBe(false);
    expect(await failJob(db, stale, 'late', 1)).toBe(false);
    expect(await completeJob(db, stale, { late: true })).toBe(false);
    expect(await getJob(db, id)).toMatchObject({ state: 'running', lastError: null, result: null });
    expect(await completeJob(db, heldBy(again, 'w1'), null)).toBe(true);
  });

  it('takes back a job whose process died before a newer job of the same asset', async () => {
    await drain(db);
    const asset = await newAsset(db, 'dead-first');
    const { id: dead } = await enqueueSync(db, asset, FULL);
    await claimJob(db, 'dead-worker', 1);
    const { id: newer } = await enqueueSync(db, asset, FULL);
    // The newer job comes first in the queue; it still waits for the asset's interrupted job.
    await db.query("UPDATE jobs SET run_at = now() - interval '1 hour' WHERE id = $1", [newer]);
    const taken = (await waitFor('the lease to run out', () => claimJob(db, 'w2', LEASE)))!;
    expect(taken).toMatchObject({ id: dead, lockedBy: 'w2' });
    expect(await claimJob(db, 'w3', LEASE)).toBeUndefined();
    await completeJob(db, heldBy(taken, 'w2'), null);
    expect((await claimJob(db, 'w3', LEASE))?.id).toBe(newer);
  });

  it('hands running jobs back on a stop, and supersedes them when a twin is pending', async () => {
    await drain(db);
    const a = await newAsset(db, 'release-a');
    const b = await newAsset(db, 'release-b');
    const { id: ja } = await enqueueSync(db, a, FULL);
    const { id: jb } = await enqueueSync(db, b, FULL);
    await claimJob(db, 'w1', LEASE);
    await claimJob(db, 'w1', LEASE);
    const { id: twin } = await enqueueSync(db, b, FULL);
    expect(await releaseRunningJobs(db, 'w1')).toBe(1);
    // The claim stays counted: a job whose process is stopped every time ends as JOB_ABANDONED.
    expect(await getJob(db, ja)).toMatchObject({ state: 'pending', attempts: 1, lockedBy: null });
    expect(await getJob(db, jb)).toMatchObject({ state: 'done' });
    expect(await getJob(db, twin)).toMatchObject({ state: 'pending' });
  });

  it('polls an asset whose poll job could not be queued again at the next tick', async () => {
    await drain(db);
    const asset = await newAsset(db, 'poll-again');
    await db.query("UPDATE assets SET polled_at = now() - interval '1 hour' WHERE id = $1", [asset]);
    // The job table refuses new rows for a moment (a failing database, a full disk).
    await db.query(`CREATE FUNCTION refuse_jobs() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'no new jobs now'; END $$`);
    await db.query(
      'CREATE TRIGGER refuse_jobs BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION refuse_jobs()',
    );
    try {
      await expect(enqueueDuePolls(db, 60_000)).rejects.toThrow('no new jobs now');
    } finally {
      await db.query('DROP TRIGGER refuse_jobs ON jobs');
      await db.query('DROP FUNCTION refuse_jobs()');
    }
    expect(await enqueueDuePolls(db, 60_000)).toContain(asset);
    const job = await claimJob(db, 'w1', LEASE);
    expect(job).toMatchObject({
      assetId: asset,
      payload: { force: false, conditional: true, trigger: 'poll' },
    });
  });

  it('worker retries a failing job with backoff until it succeeds', async () => {
    await drain(db);
    const asset = await newAsset(db, 'worker');
    const { id } = await enqueueSync(db, asset, FULL);
    let calls = 0;
    const worker = new JobWorker({
      db,
      id: 'worker-test',
      leaseMs: LEASE,
      maxAttempts: 3,
      backoffMs: 1,
      idleMs: 10,
      logger: silent,
      handle: async () => {
        calls++;
        if (calls < 3) throw new Error(`transient ${calls}`);
        return { calls };
      },
    });
    worker.start();
    try {
      const done = await waitFor('the job to succeed', async () => {
        const job = await getJob(db, id);
        return job?.state === 'done' && job;
      });
      expect(done).toMatchObject({ attempts: 3, result: { calls: 3 }, lastError: null });
    } finally {
      await worker.stop();
    }
  });
});

describe.each(DB_KINDS)('a worker facing jobs that never finish, on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(kind);
  });
  afterAll(() => t?.cleanup());

  function worker(handle: WorkerOptions['handle'], extra: Partial<WorkerOptions> = {}): JobWorker {
    return new JobWorker({
      db: t.db,
      id: `w-${kind}`,
      leaseMs: LEASE,
      maxAttempts: 2,
      backoffMs: 1,
      idleMs: 10,
      logger: silent,
      handle,
      ...extra,
    });
  }

  it('fails a job claimed JOB_ATTEMPTS times without finishing as JOB_ABANDONED, without running it', async () => {
    await drain(t.db);
    const { id } = await enqueueSync(t.db, await newAsset(t.db, 'abandoned'), FULL);
    // Two processes took it and died with it (their leases ran out).
    for (const dead of ['dead-1', 'dead-2'])
      await waitFor('a claim', async () => (await claimJob(t.db, dead, 1))?.id === id);
    await t.db.query("UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = $1", [id]);
    let ran = false;
    const w = worker(async () => (ran = true));
    w.start();
    try {
      const job = await waitFor('the job to fail', async () => {
        const j = await getJob(t.db, id);
        return j?.state === 'failed' && j;
      });
      expect(job.attempts).toBe(3);
      expect(job.lastError).toMatch(
        /^JOB_ABANDONED: job \d+ was claimed 2 times \(JOB_ATTEMPTS\) without finishing/,
      );
      expect(ran).toBe(false);
    } finally {
      await w.stop();
    }
  });

  it('runs jobs of several assets at once, and stops one at its deadline', async () => {
    await drain(t.db);
    const { id: slow } = await enqueueSync(t.db, await newAsset(t.db, 'deadline-slow'), FULL);
    const { id: quick } = await enqueueSync(t.db, await newAsset(t.db, 'deadline-quick'), FULL);
    const w = worker(
      (job, _held, signal) =>
        job.id === slow
          ? new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
          : Promise.resolve('quick'),
      { concurrency: 2, deadlineMs: 300 },
    );
    w.start();
    try {
      await waitFor('the quick job', async () => (await getJob(t.db, quick))?.state === 'done');
      const failed = await waitFor('the deadline', async () => {
        const j = await getJob(t.db, slow);
        return j?.state === 'failed' && j;
      });
      expect(failed.lastError).toMatch(
        /^JOB_DEADLINE: job \d+ ran longer than its deadline \(JOB_DEADLINE, 0.3 s\)/,
      );
    } finally {
      await w.stop();
    }
  });

  it('keeps the words of an unexpected error out of the job row (they may name internal hosts)', async () => {
    await drain(t.db);
    const { id } = await enqueueSync(t.db, await newAsset(t.db, 'internal'), FULL);
    const w = worker(
      async () => {
        throw new Error('connect ECONNREFUSED 10.1.2.3:5432');
      },
      { maxAttempts: 1 },
    );
    w.start();
    try {
      const job = await waitFor('the job to fail', async () => {
        const j = await getJob(t.db, id);
        return j?.state === 'failed' && j;
      });
      expect(job.lastError).toBe(
        `INTERNAL: the job failed on an unexpected error; the registry log has the details under job ${id}`,
      );
    } finally {
      await w.stop();
    }
  });
});

describe('a worker stopping', () => {
  it('logs that it could not hand its jobs back when the database is gone', async () => {
    const t = await openTestDb('pglite');
    const lines: string[] = [];
    const worker = new JobWorker({
      db: t.db,
      id: 'stopping-worker',
      leaseMs: LEASE,
      maxAttempts: 1,
      backoffMs: 1,
      idleMs: 10,
      logger: createLogger('info', { write: (line: string) => lines.push(line) }),
      handle: async () => null,
    });
    try {
      worker.start();
      await t.db.close();
      await worker.stop();
      const stop = lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: string });
      expect(stop).toContainEqual(
        expect.objectContaining({
          level: 50,
          msg: 'cannot hand running jobs back on stop',
          err: expect.any(String),
        }),
      );
    } finally {
      await t.cleanup();
    }
  });
});

describe('job claims across processes on one Postgres', () => {
  it('never hands one job to two workers', async () => {
    const t = await openTestDb('postgres');
    try {
      const ids: number[] = [];
      for (let i = 0; i < 40; i++)
        ids.push((await enqueueSync(t.db, await newAsset(t.db, `many-${i}`), FULL)).id);
      const handles = [t.db, await t.reopen(), await t.reopen()];
      const claimedBy = new Map<number, string>();
      await Promise.all(
        handles.map(async (h, n) => {
          for (;;) {
            const job = await claimJob(h, `w${n}`, LEASE);
            if (!job) return;
            expect(claimedBy.has(job.id)).toBe(false);
            claimedBy.set(job.id, `w${n}`);
            await completeJob(h, heldBy(job, `w${n}`), null);
          }
        }),
      );
      expect([...claimedBy.keys()].sort((x, y) => x - y)).toEqual(ids);
    } finally {
      await t.cleanup();
    }
  });
});

describe('two connections claiming jobs of one asset at once', () => {
  it('run one of them; the other claim finds nothing to do', async () => {
    const t = await openTestDb('postgres');
    try {
      const asset = await newAsset(t.db, 'race');
      const { id: first } = await enqueueSync(t.db, asset, FULL);
      const { id: second } = await enqueueSync(t.db, asset, { ...FULL, force: true });
      const other = await t.reopen();
      let racing: Promise<JobRecord | undefined> | undefined;
      // A claims job 1 in a transaction; B claims while A has not committed yet.
      const claimedByA = await t.db.transaction(async (tx) => {
        const job = await claimJob(tx, 'A', LEASE);
        racing = claimJob(other, 'B', LEASE);
        await answeredOrWaiting(racing, t.db);
        return job;
      });
      expect(claimedByA?.id).toBe(first);
      expect(await racing).toBeUndefined();
      const { rows } = await t.db.query<{ id: number }>(
        "SELECT id FROM jobs WHERE asset_id = $1 AND state = 'running'",
        [asset],
      );
      expect(rows).toEqual([{ id: first }]);
      await completeJob(t.db, heldBy(claimedByA!, 'A'), null);
      expect((await claimJob(other, 'B', LEASE))?.id).toBe(second);
    } finally {
      await t.cleanup();
    }
  });
});

describe('an enqueue racing a claim on two connections', () => {
  it('waits for the claim, then queues a new job', async () => {
    const t = await openTestDb('postgres');
    try {
      const asset = await newAsset(t.db, 'enqueue-race');
      const { id: pending } = await enqueueSync(t.db, asset, FULL);
      const other = await t.reopen();
      let enqueued: Promise<{ id: number; created: boolean }> | undefined;
      await t.db.transaction(async (tx) => {
        expect((await claimJob(tx, 'A', LEASE))?.id).toBe(pending);
        enqueued = enqueueSync(other, asset, FULL);
        await answeredOrWaiting(enqueued, t.db);
      });
      const job = await enqueued!;
      expect(job.created).toBe(true);
      expect(await getJob(t.db, job.id)).toMatchObject({ state: 'pending', assetId: asset });
    } finally {
      await t.cleanup();
    }
  });
});

describe('backoff', () => {
  it.each([
    [1, 5_000],
    [2, 10_000],
    [4, 40_000],
    [20, 3_600_000],
  ])('attempt %i waits %i ms', (attempt, delay) => {
    expect(backoffDelay(5_000, attempt)).toBe(delay);
  });
});
