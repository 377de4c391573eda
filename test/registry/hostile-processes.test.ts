import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../github-emulator/index.js';
import { bonsai } from '../cli/run-cli.js';
import { spawnRegistry, type ChildRegistry } from './support/child-registry.js';
import { makeTempDir } from './support/databases.js';
import { createTestDatabase } from './support/postgres.js';
import { publish } from './support/fixtures.js';
import { ADMIN_TOKEN, REGISTRY_TOKEN, registryEnv } from './support/harness.js';
import { waitFor } from './support/wait.js';

/**
 * Real `bonsai registry serve` processes against hostile jobs: one whose process dies (kill -9) while
 * ingesting it, every time, is failed as JOB_ABANDONED after JOB_ATTEMPTS claims instead of killing
 * every restart; a process paused (SIGSTOP) past its lease writes nothing once it resumes.
 */

interface Status {
  versions: { version: string; state: string; errors: { code: string; message: string }[] }[];
  jobs: { id: number; state: string; attempts: number; last_error: string | null }[];
  log: { version: string | null; outcome: string }[];
}

let gh: GitHubEmulator;
let dataDir: string;
let env: Record<string, string>;
const children: ChildRegistry[] = [];

beforeAll(async () => {
  gh = await startGitHubEmulator();
  gh.state.addToken(REGISTRY_TOKEN, { login: 'bonsai-registry' });
  dataDir = await makeTempDir();
  env = { ...registryEnv(gh, dataDir), JOB_ATTEMPTS: '2', JOB_LEASE: '1', LOG_LEVEL: 'info' };
});
afterAll(async () => {
  await Promise.all(children.map((c) => c.stop('SIGKILL')));
  await gh?.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function start(extra: Record<string, string> = {}): Promise<ChildRegistry> {
  const child = await spawnRegistry({ ...env, ...extra });
  children.push(child);
  return child;
}

async function register(child: ChildRegistry, repo: string): Promise<number> {
  const res = await fetch(`${child.url}/api/v1/repos`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ repository: repo }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { job_id: number }).job_id;
}

async function status(child: ChildRegistry, fullName: string): Promise<Status> {
  return (await (await fetch(`${child.url}/api/v1/assets/${fullName}/status`)).json()) as Status;
}

describe('a release whose ingest kills its process every time', () => {
  it('is abandoned after JOB_ATTEMPTS claims, with JOB_ABANDONED on the job and the version', async () => {
    const repo = 'crash/loop';
    gh.state.createRepo(repo);
    const published = await publish(gh, repo, '1.0.0');
    // The artifact never ends: the process is always mid-download when it dies.
    const endless = gh.faults.inject({
      origin: 'cdn',
      path: `/releases/*/${published.files['loop_1.0.0_linux_amd64.tar.gz']!.id}`,
      times: 'forever',
      action: { kind: 'trickle', bytes: 1, everyMs: 100, forever: true },
    });

    let child = await start();
    const jobId = await register(child, repo);

    // Two claims, each ending with the process killed mid-download.
    for (const attempt of [1, 2]) {
      await waitFor(`claim ${attempt} to be downloading`, () => endless.hits >= attempt, 30_000);
      const job = (await status(child, repo)).jobs.find((j) => j.id === jobId);
      expect(job).toMatchObject({ state: 'running', attempts: attempt });
      await child.stop('SIGKILL');
      child = await start();
    }

    // The third claim finds the job claimed twice without finishing: abandoned, not run again.
    const abandoned = await waitFor('the job to be abandoned', async () => {
      const job = (await status(child, repo)).jobs.find((j) => j.id === jobId);
      return job?.state === 'failed' && job;
    });
    expect(abandoned.last_error).toMatch(
      /^JOB_ABANDONED: job \d+ was claimed 2 times \(JOB_ATTEMPTS\) without finishing/,
    );
    expect(endless.hits).toBe(2);
    const version = (await status(child, repo)).versions[0]!;
    expect(version).toMatchObject({
      version: '1.0.0',
      state: 'failed',
      errors: [expect.objectContaining({ code: 'JOB_ABANDONED' })],
    });
    // The process is alive and well, and serves the rest.
    expect((await fetch(`${child.url}/healthz`)).status).toBe(200);
    await child.stop();

    // `bonsai registry status` shows the code too.
    const shown = await bonsai(['registry', 'status', repo], {
      env: { ...env, LOG_LEVEL: 'warn' },
      cwd: dataDir,
    });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('1.0.0  failed');
    expect(shown.stdout).toContain('error JOB_ABANDONED');
    expect(shown.stdout).toMatch(
      /job \d+ failed \(api, 3 attempts\): JOB_ABANDONED: job \d+ was claimed 2 times/,
    );
  }, 60_000);
});

describe('a process paused past its lease (SIGSTOP) while another took its job', () => {
  it('writes nothing once it resumes: every release is ingested once, by the other', async () => {
    const database = await createTestDatabase();
    const shared = { DATABASE_URL: database.url, JOB_ATTEMPTS: '8' };
    let answer = () => {};
    try {
      const repo = 'pause/many';
      gh.state.createRepo(repo);
      for (const tag of ['1.0.0', '1.1.0', '2.0.0']) await publish(gh, repo, tag);
      // The first download answers only once its holder is paused (SIGSTOP) while it waits.
      const late = gh.faults.inject({
        origin: 'cdn',
        path: '/releases/*',
        action: { kind: 'hold', until: new Promise<void>((resolve) => (answer = resolve)) },
      });
      const paused = await start(shared);
      const jobId = await register(paused, repo);
      await waitFor('the first holder to reach the download', () => late.hits > 0);
      process.kill(paused.pid, 'SIGSTOP');
      answer();

      const other = await start(shared);
      const done = await waitFor('the other process to finish the job', async () => {
        const job = (await status(other, repo)).jobs.find((j) => j.id === jobId);
        return job?.state === 'done' && job;
      });
      expect(done.attempts).toBe(2);

      process.kill(paused.pid, 'SIGCONT');
      await waitFor('the paused process to drop the job', () =>
        paused.lines.some((l) => l.includes('job taken over by another process')),
      );
      const s = await status(other, repo);
      const ingested = s.log.filter((e) => e.outcome === 'ingested').map((e) => e.version);
      expect(ingested.sort()).toEqual(['1.0.0', '1.1.0', '2.0.0']);
      expect(s.jobs.find((j) => j.id === jobId)).toMatchObject({ state: 'done', attempts: 2 });
      expect((await fetch(`${paused.url}/healthz`)).status).toBe(200);
      await Promise.all([paused.stop(), other.stop()]);
    } finally {
      answer();
      await database.drop();
    }
  }, 60_000);
});
