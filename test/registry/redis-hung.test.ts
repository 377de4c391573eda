import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { startOwnRedis, type OwnRedis } from './support/redis-server.js';
import { waitFor } from './support/wait.js';

/**
 * A hung Redis (SIGSTOP: connections stay open, nothing answers) must cost a request at most one short
 * timeout, then nothing while the circuit is open; warnings are one line per interval, not one per
 * request. Uses a redis-server of this test's own, never the shared one.
 */

let redis: OwnRedis;
let h: Harness;

interface Health {
  status: string;
  cache: { kind: string; hits: number; errors: number; skipped: number; circuit: string };
}
const health = async () => (await h.get('/healthz')).json() as Health;
const BUILDS = '/api/v1/assets/hung/check/1.0.0/release_asset_builds';
const versions = async () =>
  ((await h.get('/api/v1/assets/hung/check')).json() as { versions: { version: string }[] }).versions.map(
    (v) => v.version,
  );
const warnings = () => h.logs.filter((l) => l.includes('cache unavailable: answering from the database'));

beforeAll(async () => {
  redis = await startOwnRedis();
  // Without the in-process first level in front of Redis: its hits never reach Redis, and this test is
  // about what reads that reach a hung Redis cost.
  h = await startHarness({ env: { REDIS_URL: redis.url, CACHE_MEMORY: '0' } });
  h.gh.state.createRepo('hung/check');
  await publish(h.gh, 'hung/check', '1.0.0');
  await h.addRepo('hung/check');
});
afterAll(async () => {
  await h?.close();
  await redis?.stop();
});

describe('a hung Redis', () => {
  it('costs a few short timeouts, then reads skip it and stay fast, with rate-limited warnings', async () => {
    const expected = (await h.get(BUILDS)).text;
    expect((await h.get(BUILDS)).text).toBe(expected);
    expect((await health()).cache.circuit).toBe('closed');
    redis.signal('SIGSTOP');
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const res = await h.get(i % 2 === 0 ? BUILDS : '/api/v1/assets/hung/check');
      expect(res.status).toBe(200);
      if (i % 2 === 0) expect(res.text).toBe(expected);
    }
    const elapsed = Date.now() - started;
    // Without the breaker each read waits for its command timeout (20 × 0.5 s at least); with it, three
    // timeouts (1.5 s) and the reads themselves, which a loaded machine slows down.
    expect(elapsed).toBeLessThan(8_000);
    const during = await health();
    expect(during).toMatchObject({ status: 'ok', cache: { kind: 'redis', circuit: 'open' } });
    // The timeouts paid, however slow this machine is: the breaker's threshold (3), and one probe should
    // its cool-down (5 s) have ended meanwhile; each read would pay one without it.
    expect(during.cache.errors).toBeGreaterThanOrEqual(3);
    expect(during.cache.errors).toBeLessThanOrEqual(4);
    expect(during.cache.skipped).toBeGreaterThan(10);
    expect(warnings().length).toBeLessThanOrEqual(2);
    expect(h.logs.filter((l) => l.includes('cache circuit open')).length).toBe(1);
  });

  it('recovers after the cool-down, with no entry older than an ingest made during the hang', async () => {
    // Redis still holds the asset object without 1.1.0; this ingest's invalidation cannot reach it.
    await publish(h.gh, 'hung/check', '1.1.0');
    await h.sync('hung/check');
    expect(await versions()).toEqual(['1.0.0', '1.1.0']);
    redis.signal('SIGCONT');
    await waitFor(
      'the circuit to close',
      async () => {
        await h.get(BUILDS);
        return (await health()).cache.circuit === 'closed';
      },
      20_000,
    );
    const before = (await health()).cache.hits;
    await h.get(BUILDS);
    await h.get(BUILDS);
    expect((await health()).cache.hits).toBeGreaterThan(before);
    expect(await versions()).toEqual(['1.0.0', '1.1.0']);
    expect(await versions()).toEqual(['1.0.0', '1.1.0']);
  });
});
