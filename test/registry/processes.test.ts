import fs from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../github-emulator/index.js';
import { bonsai } from '../cli/run-cli.js';
import { spawnRegistry, type ChildRegistry } from './support/child-registry.js';
import { makeTempDir, type DbKind } from './support/databases.js';
import { publish } from './support/fixtures.js';
import { ADMIN_TOKEN, REGISTRY_TOKEN, registryEnv } from './support/harness.js';
import { signedReleaseDelivery } from './support/webhook-events.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { waitFor } from './support/wait.js';

/** Real `bonsai registry serve` processes: a crash with a job in hand, a restart, two processes on one database. */

interface Status {
  versions: { version: string; state: string }[];
  jobs: { id: number; state: string; attempts: number }[];
}

const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  return (await res.json()) as T;
}

async function register(registry: ChildRegistry, repository: string): Promise<number> {
  const res = await fetch(`${registry.url}/api/v1/repos`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ repository }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { job_id: number }).job_id;
}

async function served(registry: ChildRegistry, fullName: string): Promise<string[]> {
  const asset = await getJson<{ versions: { version: string }[] }>(
    `${registry.url}/api/v1/assets/${fullName}`,
  );
  return asset.versions.map((v) => v.version);
}

let gh: GitHubEmulator;
beforeAll(async () => {
  gh = await startGitHubEmulator();
  gh.state.addToken(REGISTRY_TOKEN, { login: 'bonsai-registry' });
});
afterAll(() => gh?.close());

function baseEnv(dataDir: string): Record<string, string> {
  return { ...registryEnv(gh, dataDir), JOB_LEASE: '2' };
}

describe.each<DbKind>(['pglite', 'postgres'])('a restart with jobs pending (%s)', (kind) => {
  let dataDir: string;
  let database: TestDatabase | undefined;
  let env: Record<string, string>;
  beforeAll(async () => {
    dataDir = await makeTempDir();
    database = kind === 'postgres' ? await createTestDatabase() : undefined;
    env = { ...baseEnv(dataDir), ...(database ? { DATABASE_URL: database.url } : {}) };
  });
  afterAll(async () => {
    await database?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('finishes the job a crashed process held, and the jobs queued while it was down', async () => {
    const crashed = `${kind}/crashed-mid-ingest`;
    const queued = `${kind}/queued-while-down`;
    for (const name of [crashed, queued]) {
      gh.state.createRepo(name);
      await publish(gh, name, '1.0.0');
    }
    // Downloads hang, so the first process dies with the job in hand.
    gh.faults.inject({
      path: '/repos/:owner/:repo/releases/assets/:id',
      times: 'forever',
      action: { kind: 'delay', ms: 120_000 },
    });
    const first = await spawnRegistry(env);
    const jobId = await register(first, crashed);
    await waitFor('the job to be running', async () => {
      const status = await getJson<Status>(`${first.url}/api/v1/assets/${crashed}/status`);
      return status.jobs.find((j) => j.id === jobId)?.state === 'running';
    });
    await first.stop('SIGKILL');
    gh.faults.clear();

    // While no registry runs, the CLI queues a sync for another repository.
    const cliEnv = { ...env, LOG_LEVEL: 'warn' };
    const added = await bonsai(['registry', 'add-repo', queued], { env: cliEnv, cwd: dataDir });
    expect(added.stderr).toBe(
      `a running \`bonsai registry serve\` ingests it; or now: bonsai registry sync ${queued}\n`,
    );
    expect(added.code).toBe(0);
    const pending = await bonsai(['registry', 'status', '--json'], { env: cliEnv, cwd: dataDir });
    expect(JSON.parse(pending.stdout).jobs).toMatchObject({ pending: 1, running: 1, done: 0 });

    const second = await spawnRegistry(env);
    try {
      for (const name of [crashed, queued]) {
        await waitFor(`${name} to be ingested`, async () => (await served(second, name)).includes('1.0.0'));
      }
      // The job is marked done just after its version is served (jobs of both assets run at once).
      const job = await waitFor('the taken-over job to be done', async () => {
        const status = await getJson<Status>(`${second.url}/api/v1/assets/${crashed}/status`);
        const j = status.jobs.find((x) => x.id === jobId);
        return j?.state !== 'running' && j;
      });
      expect(job).toMatchObject({ state: 'done' });
    } finally {
      await second.stop();
    }
  }, 120_000);
});

describe('two registry processes on one Postgres', () => {
  let database: TestDatabase;
  let dataDir: string;
  let processes: ChildRegistry[] = [];
  const repos = ['pair/alpha', 'pair/bravo', 'pair/charlie', 'pair/delta', 'pair/echo', 'pair/foxtrot'];

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await makeTempDir();
    for (const name of repos) {
      gh.state.createRepo(name);
      for (const tag of ['1.0.0', '1.1.0', '2.0.0']) await publish(gh, name, tag);
    }
    // The default lease, not the short one above: a process that a loaded machine slows past a short
    // lease has its job taken over by the other, and this test counts every claim and download once.
    const env = { ...registryEnv(gh, dataDir), DATABASE_URL: database.url };
    processes = await Promise.all([spawnRegistry(env), spawnRegistry(env)]);
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('ingest every release exactly once, whichever process gets each trigger', async () => {
    const [one, two] = processes as [ChildRegistry, ChildRegistry];
    const downloadsBefore = gh.requests.filter((r) => r.path.includes('/releases/assets/')).length;
    // Registration on alternating processes, then the same release event delivered to both.
    for (const [i, name] of repos.entries()) await register(i % 2 === 0 ? one : two, name);
    for (const name of repos) {
      const { headers, body } = await signedReleaseDelivery(name, '2.0.0', `pair-${name}`);
      const answers = await Promise.all(
        [one, two].map((p) =>
          fetch(`${p.url}/webhooks/github`, { method: 'POST', headers, body }).then((r) => r.status),
        ),
      );
      // One process accepted the delivery, the other saw it was already accepted.
      expect(answers.sort()).toEqual([200, 202]);
    }
    for (const name of repos) {
      await waitFor(`${name} to be ingested`, async () => (await served(two, name)).length === 3, 60_000);
    }
    await waitFor('every job to finish', async () => {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM jobs WHERE state IN ('pending', 'running')",
        );
        return rows[0]!.n === 0;
      } finally {
        await client.end();
      }
    });

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const ingested = await client.query<{ asset: string; tag: string; n: number }>(
        `SELECT a.name AS asset, l.tag, count(*)::int AS n FROM ingest_log l JOIN assets a ON a.id = l.asset_id
         WHERE l.outcome = 'ingested' GROUP BY a.name, l.tag ORDER BY a.name, l.tag`,
      );
      expect(ingested.rows).toHaveLength(repos.length * 3);
      for (const row of ingested.rows) expect(row).toMatchObject({ n: 1 });
      const jobs = await client.query<{ state: string; attempts: number; locked_by: string }>(
        'SELECT state, attempts, locked_by FROM jobs',
      );
      for (const job of jobs.rows) expect(job).toMatchObject({ state: 'done', attempts: 1 });
      const versions = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM versions');
      expect(versions.rows[0]!.n).toBe(repos.length * 3);
    } finally {
      await client.end();
    }
    // Every artifact was downloaded once: 3 releases × 2 archives + 1 checksum file, per repository.
    const downloads =
      gh.requests.filter((r) => r.path.includes('/releases/assets/')).length - downloadsBefore;
    expect(downloads).toBe(repos.length * 3 * 3);
  }, 120_000);
});
