import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetCacheGroup } from '../../registry/cache/names.js';
import { loadConfig } from '../../registry/config.js';
import type { Db } from '../../registry/db/port.js';
import { syncAsset } from '../../registry/ingest/sync.js';
import { startRegistry } from '../../registry/server.js';
import { findAsset } from '../../registry/store/assets.js';
import { publish } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { startOwnRedis, type OwnRedis } from './support/redis-server.js';
import { waitFor } from './support/wait.js';

/**
 * What a cached read costs (issue 12): a miss is one query, a hit none, and an ingest drops only the
 * list pages that could show the asset. Counted on the registry's own Db.
 */

/**
 * Counts the reads of stored assets the registry sends while `fn` runs (not the job worker's polls or
 * the download counter's writes, which run on their own timers).
 */
async function queriesDuring(db: Db, fn: () => Promise<unknown>): Promise<number> {
  const query = db.query;
  let count = 0;
  db.query = ((...args: Parameters<Db['query']>) => {
    if (/^\s*SELECT\b[\s\S]*\bFROM (assets|versions|builds)\b/.test(args[0])) count++;
    return query.apply(db, args);
  }) as Db['query'];
  try {
    await fn();
  } finally {
    db.query = query;
  }
  return count;
}

const PATHS = [
  '/api/v1/assets/reads/check-a/1.0.0/release_asset_builds',
  '/api/v1/assets/reads/check-a/v1.0.0/release_asset_builds',
  '/api/v1/assets/reads/check-a/latest/release_asset_builds',
  '/api/v1/assets/reads/check-a/1.0.0/linux/amd64/release_asset',
  '/api/v1/assets/Reads/Check-A/latest/LINUX/AMD64/release_asset',
  '/api/v1/assets/reads/check-a',
];

describe.each([
  ['embedded', {}],
  ['Postgres + Redis', { db: 'postgres' as const, redis: true }],
])('cached reads, %s', (_kind, options: { db?: 'postgres'; redis?: boolean }) => {
  let h: Harness;
  let redis: OwnRedis | undefined;
  beforeAll(async () => {
    redis = options.redis ? await startOwnRedis() : undefined;
    h = await startHarness({ db: options.db, env: redis ? { REDIS_URL: redis.url } : {} });
    for (const [owner, name] of [
      ['reads', 'check-a'],
      ['other', 'check-b'],
    ] as const) {
      h.gh.state.createRepo(`${owner}/${name}`);
      await publish(h.gh, `${owner}/${name}`, '0.9.0');
      await publish(h.gh, `${owner}/${name}`, '1.0.0');
      await h.addRepo(`${owner}/${name}`);
    }
    // The first read after an ingest assembles the asset object it left stale (issue 12): the misses
    // below are of a fresh one.
    expect((await h.get('/api/v1/assets/reads/check-a')).status).toBe(200);
  });
  afterAll(async () => {
    await h?.close();
    await redis?.stop();
  });

  it.each(PATHS)('answer a miss of %s with one query, then hits with none', async (path) => {
    await h.registry.runtime.cache.del(assetCacheGroup('reads', 'check-a'));
    const cache = h.registry.runtime.cache;
    let miss: Awaited<ReturnType<Harness['get']>> | undefined;
    let before = cache.stats();
    expect(await queriesDuring(h.registry.runtime.db, async () => (miss = await h.get(path)))).toBe(1);
    expect(miss!.status).toBe(200);
    // One cache lookup per request: a miss is counted once (the cache metrics' hit ratio), a hit once.
    expect(cache.stats().misses - before.misses).toBe(1);
    let hit: Awaited<ReturnType<Harness['get']>> | undefined;
    before = cache.stats();
    expect(await queriesDuring(h.registry.runtime.db, async () => (hit = await h.get(path)))).toBe(0);
    expect([cache.stats().hits - before.hits, cache.stats().misses - before.misses]).toEqual([1, 0]);
    // The hit is the stored bytes with the same headers.
    expect(hit!.text).toBe(miss!.text);
    for (const header of ['etag', 'content-type', 'content-length', 'cache-control'])
      expect(hit!.headers.get(header)).toBe(miss!.headers.get(header));
    const notModified = await h.get(path, { 'if-none-match': miss!.headers.get('etag')! });
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe('');
  });

  it('answers what is not stored with the 404 it always gave', async () => {
    for (const path of [
      '/api/v1/assets/reads/check-a/2.0.0/release_asset_builds',
      '/api/v1/assets/reads/check-a/1.0.0/darwin/amd64/release_asset',
      '/api/v1/assets/reads/nothing',
    ]) {
      const res = await h.get(path);
      expect(res.status).toBe(404);
      expect(res.json()).toMatchObject({ error_code: 'NOT_FOUND' });
    }
  });

  it('keeps list pages of other namespaces cached across an ingest, and refreshes the affected ones', async () => {
    const otherPage = '/api/v1/assets?namespace=other';
    const ownPage = '/api/v1/assets?namespace=reads';
    const first = await h.get(ownPage);
    await h.get(otherPage);
    expect(await queriesDuring(h.registry.runtime.db, () => h.get(otherPage))).toBe(0);
    await publish(h.gh, 'reads/check-a', '1.1.0');
    await h.sync('reads/check-a');
    expect(await queriesDuring(h.registry.runtime.db, () => h.get(otherPage))).toBe(0);
    const after = await h.get(ownPage);
    expect(after.text).not.toBe(first.text);
    expect(after.text).toContain('1.1.0');
    expect((await h.get('/api/v1/assets?items=100')).text).toContain('1.1.0');
  });

  it.skipIf(!options.redis)(
    'serve what another process ingested at once, though each keeps hits in its own memory',
    async () => {
      // A second process on the same Postgres and Redis (and base URLs, so the same cache keys).
      const config = loadConfig({
        env: { ...h.env, PUBLIC_URL: h.registry.runtime.urls.publicUrl },
        cwd: h.env.DATA_DIR!,
      });
      const other = await startRegistry(config, pino({ level: 'silent' }));
      try {
        const read = async () => (await fetch(`${other.url}/api/v1/assets/reads/check-a`)).text();
        const first = await read();
        const hits = () => other.runtime.cache.stats().firstLevel!.hits;
        const before = hits();
        expect(await read()).toBe(first);
        expect(hits()).toBe(before + 1);

        // This process ingests; the other drops the asset from its memory when Postgres tells it.
        await publish(h.gh, 'reads/check-a', '1.2.0');
        const asset = await findAsset(h.registry.runtime.db, 'reads', 'check-a');
        await syncAsset(h.registry.runtime.syncDeps, asset!.id, { force: false, conditional: false });
        await waitFor('the other process to serve 1.2.0', async () => (await read()).includes('1.2.0'));
      } finally {
        await other.close();
      }
    },
  );
});
