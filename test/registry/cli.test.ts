import fs from 'node:fs/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../github-emulator/index.js';
import { loadConfig } from '../../registry/config.js';
import { migrate, readMigrations } from '../../registry/db/migrate.js';
import { openPglite } from '../../registry/db/pglite.js';
import { openPostgres } from '../../registry/db/postgres.js';
import { claimJob, completeJob, getJob, heldBy } from '../../registry/jobs/queue.js';
import { startRegistry } from '../../registry/server.js';
import { bonsai } from '../cli/run-cli.js';
import { makeTempDir } from './support/databases.js';
import { publish } from './support/fixtures.js';
import { REGISTRY_TOKEN } from './support/harness.js';
import { freePort } from './support/ports.js';
import { createTestDatabase } from './support/postgres.js';

/** `bonsai registry migrate | add-repo | sync | status` and serve's settings errors. */

let gh: GitHubEmulator;
let dataDir: string;
let env: Record<string, string>;
const run = (args: string[]) => bonsai(['registry', ...args], { env, cwd: dataDir });

beforeAll(async () => {
  gh = await startGitHubEmulator();
  gh.state.addToken(REGISTRY_TOKEN, { login: 'bonsai-registry' });
  dataDir = await makeTempDir();
  env = {
    DATA_DIR: dataDir,
    GITHUB_API_URL: gh.apiUrl,
    GITHUB_TOKEN: REGISTRY_TOKEN,
    PUBLIC_URL: 'https://bonsai.example.com',
  };
});
afterAll(async () => {
  await gh?.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('bonsai registry', () => {
  it('migrate applies the migrations once', async () => {
    expect(await run(['migrate'])).toEqual({
      code: 0,
      stdout:
        'applied: 0001_init.sql, 0002_one_running_job_per_asset.sql, 0003_job_fencing.sql, 0006_version_docs.sql, 0007_api_tokens_and_audit.sql, 0008_namespace_keys.sql, 0009_published_copies.sql, 0010_imported_assets.sql, 0011_search_index.sql, 0012_incremental_render.sql, 0013_lazy_asset_object.sql\n',
      stderr: '',
    });
    expect(await run(['migrate'])).toEqual({ code: 0, stdout: 'database is up to date\n', stderr: '' });
  });

  it('add-repo registers a repository and queues its sync', async () => {
    const added = await run(['add-repo', 'acme/check-cli', '--tier', 'Supported', '--tags', 'cli, test']);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^registered acme\/check-cli \(sync job \d+ queued\)\n$/);
    const again = await run(['add-repo', 'acme/check-cli', '--description', 'A check']);
    expect(again.stdout).toMatch(/^updated acme\/check-cli/);
  });

  it.each([
    [
      ['add-repo', 'not-a-repo'],
      1,
      'error [INVALID_DATA]: "not-a-repo" is not a GitHub repository: write it as OWNER/NAME\nhint: e.g. sensu/sensu-slack-handler',
    ],
    [
      ['sync', 'acme/unknown'],
      1,
      'error [NOT_FOUND]: acme/unknown is not registered\nhint: register it first: bonsai registry add-repo acme/unknown',
    ],
    [
      ['status', 'acme/unknown'],
      1,
      'error [NOT_FOUND]: acme/unknown is not registered\nhint: register it first: bonsai registry add-repo acme/unknown',
    ],
  ])('%j fails with exit %i', async (args, code, message) => {
    const result = await run(args);
    expect(result.code).toBe(code);
    expect(result.stderr.trim()).toBe(message);
  });

  it('sync prints what happened to each version, and exits 1 when one failed', async () => {
    gh.state.createRepo('acme/check-cli');
    const good = await publish(gh, 'acme/check-cli', '1.0.0');
    await publish(gh, 'acme/check-cli', '1.1.0', { yml: '---\nbuilds:\n- platform: linux\n  arch: amd64\n' });
    const first = await run(['sync', 'acme/check-cli']);
    expect(first.code).toBe(1);
    expect(first.stdout).toBe(
      [
        'acme/check-cli',
        '  1.1.0     failed',
        "      bonsai.yml:3:3  error BUILD_MISSING_FIELD  build #1 is missing a 'sha_filename' value",
        "      bonsai.yml:3:3  error BUILD_MISSING_FIELD  build #1 is missing an 'asset_filename' value",
        `  1.0.0     ingested       2 build(s) from bonsai.yml at ${good.commit.slice(0, 12)}`,
        '',
      ].join('\n'),
    );
    const again = await run(['sync', 'acme/check-cli', '--json']);
    const report = JSON.parse(again.stdout) as { versions: { tag: string; outcome: string }[] };
    expect(report.versions.map((v) => [v.tag, v.outcome])).toEqual([
      ['1.1.0', 'still-failing'],
      ['1.0.0', 'unchanged'],
    ]);
    const forced = JSON.parse(
      (await run(['sync', 'acme/check-cli', '--json', '--force'])).stdout,
    ) as typeof report;
    expect(forced.versions.map((v) => v.outcome)).toEqual(['failed', 'ingested']);
  });

  it('status shows each version with its errors, and every asset with its counts', async () => {
    const one = await run(['status', 'acme/check-cli']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^ {2}1\.0\.0 {2}served {2}[0-9a-f]{12}$/m);
    expect(one.stdout).toMatch(
      /^ {2}1\.1\.0 {2}failed {2}[0-9a-f]{12}\n {6}bonsai\.yml:3:3 {2}error BUILD_MISSING_FIELD {2}build #1 is missing a 'sha_filename' value$/m,
    );
    expect(one.stdout).toMatch(/^ {2}job \d+ pending \(add-repo, 0 attempts\)$/m);
    const all = await run(['status']);
    expect(all.stdout).toMatch(
      /^acme\/check-cli {2}1 served, 1 failing, 0 removed; last sync \S+\njobs: 1 pending, 0 running, 0 failed, 3 done\n$/,
    );
  });

  it('status only reads: it refuses a database with migrations pending and changes nothing', async () => {
    const dir = await makeTempDir();
    const status = () => bonsai(['registry', 'status'], { env: { ...env, DATA_DIR: dir }, cwd: dir });
    const [init, ...later] = await readMigrations();
    const applied = async () => {
      const db = await openPglite(dir);
      try {
        const { rows } = await db.query<{ name: string | null }>(
          "SELECT to_regclass('schema_migrations')::text AS name",
        );
        if (!rows[0]!.name) return [];
        return (await db.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map(
          (r) => r.name,
        );
      } finally {
        await db.close();
      }
    };
    const refusal = (missing: string[]) => ({
      code: 3,
      stdout: '',
      stderr:
        `error [DATABASE_NOT_MIGRATED]: the database (PGlite in ${dir}/pglite) is missing migrations ` +
        `${missing.join(', ')}; this command only reads, so it does not apply them\n` +
        'hint: run bonsai registry migrate (serve also migrates at start), then run this command again\n',
    });
    try {
      // No database in the folder: none is created.
      expect(await status()).toEqual({
        code: 3,
        stdout: '',
        stderr:
          `error [DATABASE_NOT_FOUND]: there is no registry database in ${dir} (embedded PGlite, DATABASE_URL unset); this command only reads, so it does not create one\n` +
          'hint: run it where the registry keeps its data (DATA_DIR / --data-dir, or DATABASE_URL); bonsai registry migrate creates a database\n',
      });
      expect(await fs.readdir(dir)).toEqual([]);
      // An empty database (created, never migrated): that no registry ran there is said, not blamed on migrations.
      expect(await applied()).toEqual([]);
      expect(await status()).toEqual({
        code: 3,
        stdout: '',
        stderr:
          `error [DATABASE_NOT_MIGRATED]: no registry has run on PGlite in ${dir}/pglite: it holds no registry data\n` +
          'hint: point DATA_DIR (or DATABASE_URL) at the data of the registry to inspect, or start one here: bonsai registry serve\n',
      });
      expect(await applied()).toEqual([]);
      // A database an older version migrated.
      const db = await openPglite(dir);
      await migrate(db, [init!]);
      await db.close();
      expect(await status()).toEqual(refusal(later.map((m) => m.name)));
      expect(await applied()).toEqual([init!.name]);
      expect((await bonsai(['registry', 'migrate'], { env: { ...env, DATA_DIR: dir }, cwd: dir })).code).toBe(
        0,
      );
      expect(await status()).toMatchObject({
        code: 0,
        stdout: 'jobs: 0 pending, 0 running, 0 failed, 0 done\n',
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to open the embedded database a running registry holds (status goes through it)', async () => {
    const config = loadConfig({
      env: { ...env, PORT: '0', HOST: '127.0.0.1', POLL_INTERVAL: '0' },
      cwd: dataDir,
    });
    const registry = await startRegistry(config, pino({ level: 'silent' }));
    try {
      expect((await run(['status'])).code).toBe(0);
      const result = await run(['migrate']);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(
        `error [DATABASE_IN_USE]: the embedded database in ${dataDir} is open in process ${process.pid}`,
      );
      expect(result.stderr).toContain('hint: stop that process');
    } finally {
      await registry.close();
    }
    expect((await run(['status'])).code).toBe(0);
  });

  it('sync beside a server renders with the URLs that server serves, even without PUBLIC_URL', async () => {
    const { PUBLIC_URL: _served, ...withoutUrl } = env;
    const synced = await bonsai(['registry', 'sync', 'acme/check-cli', '--force'], {
      env: withoutUrl,
      cwd: dataDir,
    });
    expect(synced.stdout).toContain('ingested');
    const db = await openPglite(dataDir);
    try {
      const { rows } = await db.query<{ body: string }>('SELECT body FROM versions WHERE body IS NOT NULL');
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row.body).toContain(
          '"io.sensu.bonsai.api_url":"https://bonsai.example.com/api/v1/assets/acme/check-cli"',
        );
      }
    } finally {
      await db.close();
    }
  });

  it('serve refuses bad settings before starting, naming the variable and the flag', async () => {
    const result = await run(['serve', '--port', 'eighty', '--artifacts-mode', 'copy']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'error [SETTINGS_INVALID]: invalid registry settings: PORT (--port): must be an integer',
    );
    expect(result.stderr).toContain(
      "ARTIFACTS_MODE (--artifacts-mode): must be 'link', 'mirror' or 's3', got \"copy\"",
    );
  });

  it.each([
    ['nothing listens at its port', (port: number) => `127.0.0.1:${port}/bonsai`, 'ECONNREFUSED'],
    [
      'its database does not exist',
      () => '127.0.0.1:5432/bonsai_no_such_database',
      'database "bonsai_no_such_database" does not exist',
    ],
  ])('serve stops with DATABASE_FAILED (exit 3) when %s', async (_case, where, reason) => {
    const port = await freePort();
    const result = await run([
      'serve',
      '--port',
      '0',
      '--database-url',
      `postgres://postgres:s3cret@${where(port)}`,
    ]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(
      `error [DATABASE_FAILED]: cannot connect to DATABASE_URL postgres://postgres:***@${where(port)}: `,
    );
    expect(result.stderr).toContain(reason);
    expect(result.stderr).toContain(
      'hint: check that PostgreSQL is running and that the URL, user and database are right',
    );
    expect(result.stderr).not.toContain('s3cret');
  });

  it('lists its verbs', async () => {
    const help = await bonsai(['registry', '--help']);
    for (const verb of ['serve', 'migrate', 'add-repo', 'sync', 'status'])
      expect(help.stdout).toContain(verb);
  });
});

describe('bonsai registry sync runs as a job, one per asset at a time', () => {
  it('refuses while a job of the asset is running, then syncs as a job of its own', async () => {
    const database = await createTestDatabase();
    const pgEnv = { ...env, DATABASE_URL: database.url };
    const db = await openPostgres(database.url, () => undefined);
    try {
      gh.state.createRepo('acme/busy');
      await publish(gh, 'acme/busy', '1.0.0');
      expect((await bonsai(['registry', 'add-repo', 'acme/busy'], { env: pgEnv, cwd: dataDir })).code).toBe(
        0,
      );
      // A server's worker holds the asset's job.
      const held = (await claimJob(db, 'other-host:42:cafe', 60_000))!;
      const refused = await bonsai(['registry', 'sync', 'acme/busy'], { env: pgEnv, cwd: dataDir });
      expect(refused).toEqual({
        code: 3,
        stdout: '',
        stderr:
          `error [SYNC_RUNNING]: a sync of acme/busy is running now (job ${held.id}, in other-host:42:cafe)\n` +
          'hint: wait for it to finish (bonsai registry status acme/busy shows it), then sync again\n',
      });

      await completeJob(db, heldBy(held, 'other-host:42:cafe'), null);
      const synced = await bonsai(['registry', 'sync', 'acme/busy'], { env: pgEnv, cwd: dataDir });
      expect(synced.code).toBe(0);
      expect(synced.stdout).toContain('1.0.0     ingested');
      const { rows } = await db.query<{ state: string; payload: { trigger: string }; result: unknown }>(
        'SELECT state, payload, result FROM jobs WHERE id <> $1',
        [held.id],
      );
      expect(rows).toEqual([
        {
          state: 'done',
          payload: { force: false, conditional: false, trigger: 'sync' },
          result: { notModified: false, outcomes: { ingested: 1 } },
        },
      ]);
    } finally {
      await db.close();
      await database.drop();
    }
  });

  it('stops at JOB_DEADLINE on a download that never ends: exit 3, the version shows the code', async () => {
    gh.state.createRepo('acme/endless');
    const published = await publish(gh, 'acme/endless', '1.0.0');
    const endless = gh.faults.inject({
      origin: 'cdn',
      path: `/releases/*/${published.files['endless_1.0.0_linux_amd64.tar.gz']!.id}`,
      times: 'forever',
      action: { kind: 'trickle', bytes: 1, everyMs: 100, forever: true },
    });
    try {
      const deadlineEnv = { ...env, JOB_DEADLINE: '2', LOG_LEVEL: 'silent' };
      await bonsai(['registry', 'add-repo', 'acme/endless'], { env: deadlineEnv, cwd: dataDir });
      const synced = await bonsai(['registry', 'sync', 'acme/endless'], { env: deadlineEnv, cwd: dataDir });
      expect(endless.hits).toBe(1);
      expect(synced.code).toBe(3);
      expect(synced.stderr).toMatch(
        /^error \[JOB_DEADLINE\]: job \d+ ran longer than its deadline \(JOB_DEADLINE, 2 s\) and was stopped\nhint: /,
      );
      const shown = await run(['status', 'acme/endless']);
      expect(shown.stdout).toContain('1.0.0  failed');
      expect(shown.stdout).toContain('error JOB_DEADLINE  the ingest of this release never finished');
    } finally {
      gh.faults.clear();
    }
  });

  it('takes back the jobs an embedded registry left running when it stopped', async () => {
    const dir = await makeTempDir();
    const embedded = { ...env, DATA_DIR: dir };
    try {
      gh.state.createRepo('acme/left-running');
      await publish(gh, 'acme/left-running', '1.0.0');
      await bonsai(['registry', 'add-repo', 'acme/left-running'], { env: embedded, cwd: dir });
      const db = await openPglite(dir);
      const interrupted = (await claimJob(db, 'crashed-server', 60_000))!;
      await db.close();

      const synced = await bonsai(['registry', 'sync', 'acme/left-running'], { env: embedded, cwd: dir });
      expect(synced.code).toBe(0);
      const reopened = await openPglite(dir);
      try {
        expect(await getJob(reopened, interrupted.id)).toMatchObject({ state: 'pending', lockedBy: null });
      } finally {
        await reopened.close();
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
