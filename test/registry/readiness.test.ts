import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { startOwnRedis, type OwnRedis } from './support/redis-server.js';
import { relay } from './support/tcp-relay.js';
import { waitFor } from './support/wait.js';

/**
 * /livez says the process answers; /readyz says whether it should get traffic: 503 naming the failing
 * dependency when the database is gone or migrations are pending, 200 `degraded` when only Redis is.
 */

let database: TestDatabase;
let proxy: Awaited<ReturnType<typeof relay>>;
let redis: OwnRedis;
let h: Harness;

beforeAll(async () => {
  database = await createTestDatabase();
  proxy = await relay(new URL(database.url));
  const viaProxy = new URL(database.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  redis = await startOwnRedis();
  h = await startHarness({ env: { DATABASE_URL: viaProxy.toString(), REDIS_URL: redis.url } });
});
afterAll(async () => {
  await h?.close().catch(() => undefined);
  await proxy?.close();
  await redis?.stop();
  await database?.drop();
});

interface Ready {
  status: string;
  failing?: string[];
  checks: Record<string, { status: string; pending?: string[]; kind?: string }>;
}

async function readyz(): Promise<{ status: number; body: Ready; text: string }> {
  const res = await h.get('/readyz');
  return { status: res.status, body: res.json() as Ready, text: res.text };
}

describe('/livez and /readyz', () => {
  it('answers ready with every dependency up', async () => {
    expect((await h.get('/livez')).json()).toEqual({ status: 'ok' });
    const ready = await readyz();
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({
      status: 'ok',
      checks: {
        database: { status: 'ok', kind: 'postgres' },
        migrations: { status: 'ok' },
        cache: { status: 'ok', kind: 'redis' },
      },
    });
  });

  it('is 503 naming the migrations while one this build ships is not applied', async () => {
    const db = h.registry.runtime.db;
    const { rows } = await db.query<{ name: string }>(
      'SELECT name FROM schema_migrations ORDER BY name DESC LIMIT 1',
    );
    const last = rows[0]!.name;
    await db.query('DELETE FROM schema_migrations WHERE name = $1', [last]);
    try {
      const ready = await readyz();
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('unavailable');
      expect(ready.body.failing).toEqual(['migrations']);
      expect(ready.body.checks.migrations).toEqual({ status: 'pending', pending: [last] });
      expect((await h.get('/livez')).status).toBe(200);
    } finally {
      await db.query('INSERT INTO schema_migrations (name) VALUES ($1)', [last]);
    }
    expect((await readyz()).status).toBe(200);
  });

  it('stays 200 but degraded while Redis is stopped, and ok once it is back', async () => {
    await redis.stop();
    const ready = await readyz();
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('degraded');
    expect(ready.body.failing).toBeUndefined();
    expect(ready.body.checks.cache).toMatchObject({ status: 'unavailable', kind: 'redis' });
    expect(ready.text).not.toMatch(/127\.0\.0\.1|localhost|:\d{4,5}\b/);
    await redis.start();
    await waitFor('readyz ok after Redis restarted', async () => (await readyz()).body.status === 'ok');
  });

  it('is 503 naming the database when it cannot be reached, without its address', async () => {
    await proxy.close();
    const ready = await readyz();
    expect(ready.status).toBe(503);
    expect(ready.body.failing).toEqual(['database']);
    expect(ready.body.checks.database).toMatchObject({ status: 'unavailable', kind: 'postgres' });
    expect(ready.body.checks.migrations).toEqual({ status: 'unknown' });
    expect(ready.text).not.toContain(String(proxy.port));
    expect(ready.text).toMatch(/request id [\w-]+/);
    expect((await h.get('/livez')).status).toBe(200);
    // /healthz keeps its documented shape.
    expect((await h.get('/healthz')).status).toBe(503);
  });
});
