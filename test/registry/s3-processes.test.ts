import fs from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../github-emulator/index.js';
import { spawnRegistry, type ChildRegistry } from './support/child-registry.js';
import { makeTempDir } from './support/databases.js';
import { publish, sha512, type Published } from './support/fixtures.js';
import { ADMIN_TOKEN, REGISTRY_TOKEN, registryEnv } from './support/harness.js';
import { signedReleaseDelivery } from './support/webhook-events.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { startTestS3, type TestS3 } from './support/s3-server.js';
import { waitFor } from './support/wait.js';

/**
 * Two real `bonsai registry serve` processes in s3 mode on one Postgres and one bucket, each with its own
 * DATA_DIR (no shared volume): every version is ingested once and every object written once, and either
 * process serves every artifact.
 */

const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
const PREFIX = 'replicas';
const repos = ['s3pair/alpha', 's3pair/bravo', 's3pair/charlie', 's3pair/delta'];
const tags = ['1.0.0', '2.0.0'];

let gh: GitHubEmulator;
let s3: TestS3;
let database: TestDatabase;
const dataDirs: string[] = [];
let processes: ChildRegistry[] = [];
const releases = new Map<string, Published>();

beforeAll(async () => {
  gh = await startGitHubEmulator();
  gh.state.addToken(REGISTRY_TOKEN, { login: 'bonsai-registry' });
  s3 = await startTestS3();
  database = await createTestDatabase();
  for (const name of repos) {
    gh.state.createRepo(name);
    for (const tag of tags) releases.set(`${name}@${tag}`, await publish(gh, name, tag));
  }
  processes = await Promise.all(
    [0, 1].map(async () => {
      const dataDir = await makeTempDir();
      dataDirs.push(dataDir);
      return spawnRegistry({
        ...registryEnv(gh, dataDir),
        ...s3.env(PREFIX),
        // The default lease: past a short one, a process slowed by a loaded machine has its job taken
        // over by the other, and this test counts every object written once.
        DATABASE_URL: database.url,
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
      });
    }),
  );
}, 120_000);
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await database?.drop();
  await s3?.close();
  await gh?.close();
  for (const dir of dataDirs) await fs.rm(dir, { recursive: true, force: true });
});

async function query<T extends object>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('two registry processes on one Postgres and one bucket', () => {
  it('ingest each version once and write each object once; either process serves every artifact', async () => {
    const [one, two] = processes as [ChildRegistry, ChildRegistry];
    for (const [i, name] of repos.entries()) {
      const res = await fetch(`${(i % 2 === 0 ? one : two).url}/api/v1/repos`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ repository: name }),
      });
      expect(res.status).toBe(201);
    }
    // The same release event reaches both processes at once.
    for (const name of repos) {
      const { headers, body } = await signedReleaseDelivery(name, '2.0.0', `s3pair-${name}`);
      await Promise.all(
        [one, two].map((p) => fetch(`${p.url}/webhooks/github`, { method: 'POST', headers, body })),
      );
    }
    await waitFor(
      'every job to finish',
      async () =>
        (
          await query<{ n: number }>(
            "SELECT count(*)::int AS n FROM jobs WHERE state IN ('pending', 'running')",
          )
        )[0]!.n === 0,
      90_000,
    );

    const ingested = await query<{ n: number }>(
      "SELECT count(*)::int AS n FROM ingest_log WHERE outcome = 'ingested' GROUP BY asset_id, tag",
    );
    expect(ingested).toHaveLength(repos.length * tags.length);
    for (const row of ingested) expect(row.n).toBe(1);
    expect(await query('SELECT id FROM builds WHERE NOT published')).toEqual([]);

    // Each object is written once under its key, and no upload is left half-done.
    const keys = (await s3.keys()).filter((k) => k.startsWith(`${PREFIX}/`));
    expect(keys.filter((k) => k.includes('.partial'))).toEqual([]);
    expect(keys).toHaveLength(repos.length * tags.length * 2);
    for (const key of keys) expect(s3.created.filter((k) => k === key)).toEqual([key]);

    // Either process answers with a presigned redirect to the same bytes.
    for (const [i, name] of repos.entries()) {
      for (const tag of tags) {
        const published = releases.get(`${name}@${tag}`)!;
        const file = `${name.split('/')[1]}_${tag}_linux_amd64.tar.gz`;
        const res = await fetch(`${(i % 2 === 0 ? two : one).url}/artifacts/${published.commit}/${file}`);
        expect(res.status).toBe(200);
        expect(sha512(Buffer.from(await res.arrayBuffer()))).toBe(published.files[file]!.sha512);
      }
    }
  }, 180_000);
});
