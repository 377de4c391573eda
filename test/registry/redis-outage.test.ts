import fs from 'node:fs/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemoryCache } from '../../registry/cache/memory.js';
import { loadConfig } from '../../registry/config.js';
import { startRegistry } from '../../registry/server.js';
import { makeTempDir } from './support/databases.js';
import { publish } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { freePort } from './support/ports.js';
import { startOwnRedis, type OwnRedis } from './support/redis-server.js';
import { waitFor } from './support/wait.js';

/**
 * The production shape (Postgres + Redis) with Redis stopped mid-suite. The registry uses a redis-server
 * of this test's own, never the shared one.
 */

let redis: OwnRedis;
let redisDir: string;
let h: Harness;

interface Health {
  status: string;
  cache: { kind: string; hits: number; errors: number; firstLevel: { hits: number } };
}

beforeAll(async () => {
  redisDir = await makeTempDir('bonsai-redis-');
  redis = await startOwnRedis(redisDir);
  h = await startHarness({ db: 'postgres', env: { REDIS_URL: redis.url } });
  h.gh.state.createRepo('cache/check');
  await publish(h.gh, 'cache/check', '1.0.0');
  await h.addRepo('cache/check');
});
afterAll(async () => {
  await h?.close();
  await redis?.stop();
  await fs.rm(redisDir, { recursive: true, force: true });
});

const versions = async () =>
  ((await h.get('/api/v1/assets/cache/check')).json() as { versions: { version: string }[] }).versions.map(
    (v) => v.version,
  );
const health = async () => (await h.get('/healthz')).json() as Health;
/** Hits Redis answered (not the process's memory in front of it). */
const redisHits = async () => {
  const { cache } = await health();
  return cache.hits - cache.firstLevel.hits;
};

describe('Redis stopped mid-suite', () => {
  it('serves from Redis while it is up', async () => {
    expect((await health()).cache.kind).toBe('redis');
    const first = await h.get('/api/v1/assets/cache/check/1.0.0/release_asset_builds');
    const hitsBefore = (await health()).cache.hits;
    const second = await h.get('/api/v1/assets/cache/check/1.0.0/release_asset_builds');
    expect(second.text).toBe(first.text);
    expect((await health()).cache.hits).toBeGreaterThan(hitsBefore);
    expect(await versions()).toEqual(['1.0.0']);
  });

  it('answers every request from the database while Redis is down, logging and counting', async () => {
    const cached = (await h.get('/api/v1/assets/cache/check/1.0.0/release_asset_builds')).text;
    await redis.stop();
    const res = await h.get('/api/v1/assets/cache/check/1.0.0/release_asset_builds');
    expect(res.status).toBe(200);
    expect(res.text).toBe(cached);
    expect((await h.get('/api/v1/assets?items=5')).status).toBe(200);
    expect((await h.get('/api/v1/assets/cache/nope')).status).toBe(404);
    const during = await health();
    expect(during.status).toBe('ok');
    expect(during.cache.errors).toBeGreaterThan(0);
    expect(h.logs.join('')).toContain('cache unavailable: answering from the database');
  });

  it('ingests during the outage, and serves no stale entry when Redis comes back with old data', async () => {
    await publish(h.gh, 'cache/check', '1.1.0');
    await h.sync('cache/check');
    expect(await versions()).toEqual(['1.0.0', '1.1.0']);
    // Redis restarts from its saved data, which still holds the asset object without 1.1.0.
    await redis.start();
    // The process forgets what it keeps in memory in front of Redis (as after a lost listener
    // connection), so these reads reach Redis, where the old asset object may still be.
    const forget = () => (h.registry.runtime.cache as MemoryCache).clear();
    await waitFor('Redis to answer again', async () => {
      const before = await redisHits();
      for (let i = 0; i < 2; i++) {
        forget();
        await h.get('/api/v1/assets/cache/check/1.0.0/release_asset_builds');
      }
      return (await redisHits()) > before;
    });
    forget();
    expect(await versions()).toEqual(['1.0.0', '1.1.0']);
  });
});

describe('start-up with REDIS_URL set', () => {
  it('fails fast when Redis does not answer, naming the variable, and leaves nothing locked', async () => {
    const dataDir = await makeTempDir();
    try {
      const url = `redis://127.0.0.1:${await freePort()}`;
      const config = loadConfig({
        env: { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, REDIS_URL: url },
        cwd: dataDir,
      });
      const err = await startRegistry(config, pino({ level: 'silent' })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CACHE_FAILED', exitCode: 3 });
      expect((err as Error).message).toContain(`cannot connect to REDIS_URL ${url}`);
      const embedded = await startRegistry({ ...config, redisUrl: undefined }, pino({ level: 'silent' }));
      await embedded.close();
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
