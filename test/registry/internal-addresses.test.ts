import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { createTestDatabase, type TestDatabase } from './support/postgres.js';
import { startOwnRedis, type OwnRedis } from './support/redis-server.js';
import { relay } from './support/tcp-relay.js';
import { waitFor } from './support/wait.js';

/**
 * Anonymous answers never show where the registry's services live: with Redis dead and the database
 * behind a port that closed, bodies carry no host:port and no stack, and the log keeps the detail
 * under the request id the answer returns.
 */

let database: TestDatabase;
let proxy: Awaited<ReturnType<typeof relay>>;
let redis: OwnRedis;
let h: Harness;
let redisPort: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const direct = new URL(database.url);
  proxy = await relay(direct);
  const viaProxy = new URL(database.url);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  redis = await startOwnRedis();
  redisPort = new URL(redis.url).port;
  h = await startHarness({ env: { DATABASE_URL: viaProxy.toString(), REDIS_URL: redis.url } });
  h.gh.state.createRepo('addr/check');
  await publish(h.gh, 'addr/check', '1.0.0');
  await h.addRepo('addr/check');
});
afterAll(async () => {
  await h?.close().catch(() => undefined);
  await proxy?.close();
  await redis?.stop();
  await database?.drop();
});

/** No `host:port` of the relay or of Redis, no IP:port at all, no stack frame. */
function expectNoAddress(body: string): void {
  expect(body).not.toContain(`:${proxy.port}`);
  expect(body).not.toContain(`:${redisPort}`);
  expect(body).not.toMatch(/\d+\.\d+\.\d+\.\d+:\d+|localhost:\d+|ECONNREFUSED \S+:\d+/);
  expect(body).not.toMatch(/\n\s+at /);
}

describe('anonymous answers while services fail', () => {
  it('a dead Redis: reads still answer, /healthz shows counts and no address', async () => {
    await redis.stop();
    expect((await h.get('/api/v1/assets/addr/check')).status).toBe(200);
    const health = await h.get('/healthz');
    expect(health.status).toBe(200);
    expect(health.json()).toMatchObject({ cache: { kind: 'redis', errors: expect.any(Number) } });
    expectNoAddress(health.text);
    // The log has the detail for the operator.
    expect(h.logs.join('\n')).toContain(`127.0.0.1:${redisPort}`);
  });

  it('a database at a closed port: 503 bodies with the request id, details only in the log', async () => {
    await proxy.close();
    // Pooled connections die first ("Connection terminated"); then every new one is refused at the port.
    await waitFor('connections to be refused', async () => {
      await h.get('/healthz');
      return h.logs.some((l) => l.includes(`ECONNREFUSED 127.0.0.1:${proxy.port}`));
    });
    const routes = [
      '/healthz',
      '/api/v1/assets/addr/check/status',
      '/api/v1/assets?q=nothing-cached',
      '/api/v1/assets/addr/other',
    ];
    for (const path of routes) {
      const requestId = `addr-${routes.indexOf(path)}`;
      const res = await h.get(path, { 'x-request-id': requestId });
      expect({ path, status: res.status }).toEqual({ path, status: 503 });
      expect(res.headers.get('x-request-id')).toBe(requestId);
      expect(res.text).toContain(requestId);
      expectNoAddress(res.text);
      const logged = h.logs.filter((l) => l.includes(`"requestId":"${requestId}"`) && l.includes('"err"'));
      expect(logged.length).toBeGreaterThan(0);
    }
    // Once the pooled connections are gone, the driver names the closed port: in the log only.
    expect(h.logs.join('\n')).toContain(`127.0.0.1:${proxy.port}`);
  });
});
