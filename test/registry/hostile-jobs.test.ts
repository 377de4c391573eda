import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimJob } from '../../registry/jobs/queue.js';
import { publish } from './support/fixtures.js';
import { ADMIN_TOKEN, startHarness, type Harness } from './support/harness.js';
import { waitFor } from './support/wait.js';

/**
 * Jobs facing hostile or unlucky releases, on one in-process registry: a slow download never holds up
 * another asset and ends at the job's deadline; one release's unexpected error fails only that version;
 * a holder whose lease was taken writes nothing more.
 */

interface Status {
  versions: { version: string; state: string; errors: { code: string; message: string }[] }[];
  jobs: { id: number; state: string; attempts: number; last_error: string | null }[];
  log: { version: string | null; outcome: string; diagnostics: { code: string }[] }[];
}

const DEADLINE_S = 8;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { JOB_DEADLINE: String(DEADLINE_S) } });
});
afterAll(() => h?.close());

async function status(fullName: string): Promise<Status> {
  return (await h.get(`/api/v1/assets/${fullName}/status`)).json() as Status;
}

async function served(fullName: string): Promise<string[]> {
  const res = await h.get(`/api/v1/assets/${fullName}`);
  return (res.json() as { versions: { version: string }[] }).versions.map((v) => v.version);
}

/** Registers through the admin API without waiting for the job. */
async function register(fullName: string): Promise<number> {
  const res = await h.post(
    '/api/v1/repos',
    { repository: fullName },
    { authorization: `Bearer ${ADMIN_TOKEN}` },
  );
  expect(res.status).toBe(201);
  return (res.json() as { job_id: number }).job_id;
}

const jobOf = async (fullName: string, id: number) => (await status(fullName)).jobs.find((j) => j.id === id);

describe('a release whose artifact trickles in forever', () => {
  let slowJob: number;

  it('does not hold up another asset: that one is served while the download goes on', async () => {
    h.gh.state.createRepo('slow/stuck');
    const stuck = await publish(h.gh, 'slow/stuck', '1.0.0');
    const fault = h.gh.faults.inject({
      origin: 'cdn',
      path: `/releases/*/${stuck.files['stuck_1.0.0_linux_amd64.tar.gz']!.id}`,
      times: 'forever',
      action: { kind: 'trickle', bytes: 1, everyMs: 100, forever: true },
    });
    h.gh.state.createRepo('slow/quick');
    await publish(h.gh, 'slow/quick', '1.0.0');

    slowJob = await register('slow/stuck');
    await waitFor('the slow download to start', () => fault.hits > 0);
    const quickJob = await register('slow/quick');
    await h.waitForJob(quickJob);
    expect(await served('slow/quick')).toEqual(['1.0.0']);
    expect((await h.get('/api/v1/assets/slow/quick/1.0.0/release_asset_builds')).status).toBe(200);
    // ...while the slow one is still downloading.
    expect(await jobOf('slow/stuck', slowJob)).toMatchObject({ state: 'running' });
    expect(await served('slow/stuck')).toEqual([]);
  });

  it('fails at the job deadline with JOB_DEADLINE, on the job and on the version', async () => {
    const job = await waitFor(
      'the deadline',
      async () => {
        const j = await jobOf('slow/stuck', slowJob);
        return j?.state === 'failed' && j;
      },
      (DEADLINE_S + 30) * 1000,
    );
    expect(job.last_error).toMatch(
      /^JOB_DEADLINE: job \d+ ran longer than its deadline \(JOB_DEADLINE, 8 s\)/,
    );
    const s = await status('slow/stuck');
    expect(s.versions).toEqual([
      expect.objectContaining({
        version: '1.0.0',
        state: 'failed',
        errors: [expect.objectContaining({ code: 'JOB_DEADLINE' })],
      }),
    ]);
    expect(s.log[0]).toMatchObject({ version: '1.0.0', outcome: 'failed' });
    h.gh.faults.clear();
    // The same content is not tried again by an ordinary sync (a hostile release would stall every job).
    await h.sync('slow/stuck');
    expect((await status('slow/stuck')).versions[0]).toMatchObject({
      state: 'failed',
      errors: [expect.objectContaining({ code: 'JOB_DEADLINE' })],
    });
  }, 60_000);
});

describe('a release whose processing throws', () => {
  it('fails only that version: older releases are served, deleted ones marked removed, ETags saved', async () => {
    const repo = 'iso/mixed';
    h.gh.state.createRepo(repo);
    await publish(h.gh, repo, '1.0.0');
    const gone = await publish(h.gh, repo, '1.1.0');
    await h.addRepo(repo);
    expect(await served(repo)).toEqual(['1.0.0', '1.1.0']);

    const { db } = h.registry.runtime;
    const etags = async () =>
      (await db.query<{ e: string }>("SELECT releases_etags::text AS e FROM assets WHERE name = 'mixed'"))
        .rows[0]!.e;
    const etagsBefore = await etags();
    await h.maintainer.rest.repos.deleteRelease({ owner: 'iso', repo: 'mixed', release_id: gone.releaseId });
    await publish(h.gh, repo, '2.0.0');
    await publish(h.gh, repo, '2.1.0');
    // GitHub answers 2.1.0's bonsai.yml (read first: newest first) with a body the registry does not
    // expect: reading it throws, uncoded.
    h.gh.faults.inject({
      path: `/repos/${repo}/contents/bonsai.yml`,
      action: {
        kind: 'status',
        status: 200,
        body: { type: 'file', name: 'bonsai.yml', path: 'bonsai.yml', encoding: 'base64', content: 123 },
      },
    });
    await h.sync(repo);

    expect(await served(repo)).toEqual(['1.0.0', '2.0.0']);
    const s = await status(repo);
    const byVersion = Object.fromEntries(s.versions.map((v) => [v.version, v]));
    expect(byVersion['2.1.0']).toMatchObject({ state: 'failed' });
    expect(byVersion['2.1.0']!.errors).toEqual([
      expect.objectContaining({
        code: 'INGEST_FAILED',
        message: expect.stringContaining('2.1.0 could not be ingested: an unexpected error stopped it'),
      }),
    ]);
    // The raw exception stays in the log, with the tag.
    expect(JSON.stringify(byVersion['2.1.0'])).not.toContain('first argument');
    expect(h.logs.some((l) => l.includes('"tag":"2.1.0"') && l.includes('first argument'))).toBe(true);
    expect(byVersion['1.1.0']).toMatchObject({ state: 'removed' });
    expect(s.versions.filter((v) => v.state === 'pending')).toEqual([]);

    // The ETags of the release list read by this sync were saved, for the poller's next conditional read.
    expect(await etags()).not.toBe(etagsBefore);
    expect(JSON.parse(await etags())).toHaveLength(1);
  });
});

describe('a release whose tag the store cannot even hold', () => {
  it('is reported failed in the log while the other releases are served', async () => {
    const repo = 'iso/long-tag';
    h.gh.state.createRepo(repo);
    await publish(h.gh, repo, '1.0.0');
    // Longer than a database index entry may be (and not compressible): the version row is refused.
    const long = `2.0.0-${randomBytes(6000).toString('hex')}`;
    h.gh.state.commit(repo, { files: { 'bonsai.yml': 'builds: []\n' }, tag: long });
    h.gh.state.createRelease(repo, { tag_name: long });
    await h.addRepo(repo);
    expect(await served(repo)).toEqual(['1.0.0']);
    const s = await status(repo);
    expect(s.versions.map((v) => [v.version.slice(0, 20), v.state])).toEqual([['1.0.0', 'served']]);
    expect(s.log).toContainEqual(
      expect.objectContaining({
        outcome: 'failed',
        diagnostics: [expect.objectContaining({ code: 'INGEST_FAILED' })],
      }),
    );
  });
});

describe('a holder whose lease was taken while it paused', () => {
  it('writes nothing more once it resumes', async () => {
    const repo = 'fence/held';
    h.gh.state.createRepo(repo);
    await publish(h.gh, repo, '1.0.0');
    const second = await publish(h.gh, repo, '1.1.0');
    // 1.1.0's download hangs until the job was taken over: the holder is "paused" there.
    let resume!: () => void;
    const pause = h.gh.faults.inject({
      origin: 'cdn',
      path: `/releases/*/${second.files['held_1.1.0_linux_amd64.tar.gz']!.id}`,
      action: { kind: 'hold', until: new Promise<void>((resolve) => (resume = resolve)) },
    });
    try {
      const jobId = await register(repo);
      await waitFor('the holder to reach the download', () => pause.hits > 0);

      // Meanwhile its lease runs out and another process claims the job.
      const { db } = h.registry.runtime;
      await db.query("UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = $1", [jobId]);
      const taken = await claimJob(db, 'other-host:1:takeover', 60_000);
      expect(taken).toMatchObject({ id: jobId, lockedBy: 'other-host:1:takeover' });
      const snapshot = async () => ({
        versions: (await db.query('SELECT * FROM versions ORDER BY id')).rows,
        builds: (await db.query('SELECT * FROM builds ORDER BY id')).rows,
        log: (await db.query('SELECT * FROM ingest_log ORDER BY id')).rows,
        assets: (await db.query('SELECT id, releases_etags, body, etag, synced_at FROM assets ORDER BY id'))
          .rows,
        job: (await db.query('SELECT * FROM jobs WHERE id = $1', [jobId])).rows,
      });
      const before = await snapshot();

      resume();
      await waitFor('the holder to give up', () =>
        h.logs.some((l) => l.includes(`"jobId":${jobId}`) && l.includes('job taken over by another process')),
      );
      expect(await snapshot()).toEqual(before);
      expect(await served(repo)).toEqual([]);
    } finally {
      resume();
    }
  });
});
