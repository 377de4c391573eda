import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../registry/config.js';
import { createLogger } from '../../registry/logger.js';
import { startRegistry } from '../../registry/server.js';
import { publish } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { waitFor } from './support/wait.js';

/**
 * RETENTION_DAYS: finished jobs, webhook deliveries and ingest-log rows older than the limit are pruned
 * (in batches, more rows than one batch here), recent ones and unfinished jobs are kept, and only one
 * replica prunes per period.
 */

let h: Harness;
let assetId: number;

beforeAll(async () => {
  h = await startHarness({ db: 'postgres' });
  h.gh.state.createRepo('keep/check');
  await publish(h.gh, 'keep/check', '1.0.0');
  await h.addRepo('keep/check');
  const { rows } = await h.registry.runtime.db.query<{ id: number }>(
    "SELECT id FROM assets WHERE name = 'check'",
  );
  assetId = rows[0]!.id;
});
afterAll(() => h?.close());

const count = async (sql: string) =>
  (await h.registry.runtime.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`)).rows[0]!.n;

async function seedOldRows(db: Harness['registry']['runtime']['db'], n: number, tag: string): Promise<void> {
  await db.query(
    `INSERT INTO jobs (kind, asset_id, state, finished_at, created_at)
     SELECT 'sync', $1, CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'done' END, now() - interval '40 days', now() - interval '40 days'
     FROM generate_series(1, $2) i`,
    [assetId, n],
  );
  await db.query(
    `INSERT INTO webhook_deliveries (delivery_id, event, asset_id, received_at)
     SELECT $3 || i, 'release', $1, now() - interval '31 days' FROM generate_series(1, $2) i`,
    [assetId, n, tag],
  );
  await db.query(
    `INSERT INTO ingest_log (asset_id, tag, outcome, message, at)
     SELECT $1, '0.0.' || i, 'failed', 'old', now() - interval '45 days' FROM generate_series(1, $2) i`,
    [assetId, n],
  );
}

describe('retention', () => {
  it('prunes rows older than RETENTION_DAYS in batches, keeping recent rows and unfinished jobs', async () => {
    const db = h.registry.runtime.db;
    await seedOldRows(db, 1_200, 'old-');
    // An old job still pending is work to do, not history.
    await db.query(
      `INSERT INTO jobs (kind, asset_id, state, created_at, run_at) VALUES ('sync', $1, 'pending', now() - interval '60 days', now() + interval '1 day')`,
      [assetId],
    );
    await db.query(
      "INSERT INTO webhook_deliveries (delivery_id, event, asset_id) VALUES ('recent-1', 'release', $1)",
      [assetId],
    );
    const recentJobs = await count("jobs WHERE finished_at > now() - interval '1 day'");
    const recentLog = await count("ingest_log WHERE at > now() - interval '1 day'");
    expect(recentJobs).toBeGreaterThan(0);
    expect(recentLog).toBeGreaterThan(0);

    await h.stopRegistry();
    await h.startRegistry({ RETENTION_DAYS: '30' });
    const line = await waitFor('the retention run', () =>
      h.logs.find((l) => l.includes('retention: old rows pruned')),
    );
    expect(JSON.parse(line)).toMatchObject({
      retentionDays: 30,
      pruned: { jobs: 1_200, webhook_deliveries: 1_200, ingest_log: 1_200 },
    });
    expect(await count("jobs WHERE finished_at < now() - interval '30 days'")).toBe(0);
    expect(await count("webhook_deliveries WHERE received_at < now() - interval '30 days'")).toBe(0);
    expect(await count("ingest_log WHERE at < now() - interval '30 days'")).toBe(0);
    expect(await count("jobs WHERE finished_at > now() - interval '1 day'")).toBe(recentJobs);
    expect(await count("ingest_log WHERE at > now() - interval '1 day'")).toBe(recentLog);
    expect(await count("jobs WHERE state = 'pending'")).toBe(1);
    expect(await count("webhook_deliveries WHERE delivery_id = 'recent-1'")).toBe(1);
    // What users see is intact.
    const status = await h.get('/api/v1/assets/keep/check/status');
    expect(status.status).toBe(200);
    expect((await h.get('/api/v1/assets/keep/check/1.0.0/release_asset_builds')).status).toBe(200);
  });

  it('lets one replica prune per period: another started now skips', async () => {
    await seedOldRows(h.registry.runtime.db, 5, 'later-');
    const logs: string[] = [];
    const replica = await startRegistry(
      loadConfig({ env: { ...h.env, RETENTION_DAYS: '30' }, cwd: h.env.DATA_DIR! }),
      createLogger('info', { write: (l: string) => logs.push(l) }),
    );
    try {
      await waitFor('the skipped run', () => logs.some((l) => l.includes('retention: skipped')));
      expect(logs.some((l) => l.includes('retention: old rows pruned'))).toBe(false);
      expect(await count("ingest_log WHERE at < now() - interval '30 days'")).toBe(5);
    } finally {
      await replica.close();
    }
  });

  it('refuses a negative RETENTION_DAYS, naming the variable', () => {
    expect(() => loadConfig({ env: { RETENTION_DAYS: '-1' }, cwd: '/' })).toThrow(
      /RETENTION_DAYS \(--retention-days\): must be a number of days \(0: keep forever\), got "-1"/,
    );
  });
});
