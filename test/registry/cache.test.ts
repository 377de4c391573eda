import fs from 'node:fs/promises';
import os from 'node:os';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withFirstLevel } from '../../registry/cache/first-level.js';
import { createMemoryCache } from '../../registry/cache/memory.js';
import type { Cache } from '../../registry/cache/port.js';
import { createRedisCache } from '../../registry/cache/redis.js';
import { loadConfig } from '../../registry/config.js';
import { RegistryError } from '../../registry/errors.js';
import { openCache } from '../../registry/runtime.js';
import { keysForUrls } from '../../registry/cache/render-keys.js';
import { shareInvalidations } from '../../registry/cache/shared-memory.js';
import { makeTempDir, openTestDb } from './support/databases.js';
import { freePort } from './support/ports.js';
import { POSTGRES_ADMIN_URL } from './support/postgres.js';
import { startOwnRedis, type OwnRedis } from './support/redis-server.js';
import { relay } from './support/tcp-relay.js';
import { waitFor } from './support/wait.js';

let redis: OwnRedis;
const errors: string[] = [];
beforeAll(async () => {
  redis = await startOwnRedis();
});
afterAll(() => redis?.stop());

const makers: [string, () => Promise<Cache>][] = [
  ['memory', async () => createMemoryCache({ maxEntries: 100, ttlSeconds: 60 })],
  [
    'redis',
    () =>
      createRedisCache({
        url: redis.url,
        keyspace: `test-${Math.random()}`,
        ttlSeconds: 60,
        onError: (_err, op) => errors.push(op),
      }),
  ],
  [
    'redis with a first level',
    async () =>
      withFirstLevel(
        await createRedisCache({
          url: redis.url,
          keyspace: `test-${Math.random()}`,
          ttlSeconds: 60,
          onError: (_err, op) => errors.push(op),
        }),
        { maxBytes: 1_000_000, ttlSeconds: 60 },
      ),
  ],
];

describe.each(makers)('%s cache', (_kind, make) => {
  it('keeps values per group and drops a whole group at once', async () => {
    const cache = await make();
    try {
      await cache.set('asset:a/b', 'k1', 'v1');
      await cache.set('asset:a/b', 'k2', 'v2');
      await cache.set('asset:a/c', 'k1', 'other');
      expect(await cache.get('asset:a/b', 'k1')).toBe('v1');
      await cache.del('asset:a/b');
      expect(await cache.get('asset:a/b', 'k1')).toBeUndefined();
      expect(await cache.get('asset:a/b', 'k2')).toBeUndefined();
      expect(await cache.get('asset:a/c', 'k1')).toBe('other');
    } finally {
      await cache.close();
    }
  });

  it('wrap loads once, and never stores what an invalidation replaced while it loaded', async () => {
    const cache = await make();
    try {
      let loads = 0;
      const load = async () => `value-${++loads}`;
      expect(await cache.wrap('g', 'k', load)).toBe('value-1');
      expect(await cache.wrap('g', 'k', load)).toBe('value-1');
      expect(loads).toBe(1);
      expect(await cache.wrap('g', 'missing', async () => undefined)).toBeUndefined();

      // A read races an ingest: it loaded old data, the ingest invalidated meanwhile.
      await cache.del('g');
      const stale = await cache.wrap('g', 'k', async () => {
        await cache.del('g');
        return 'old';
      });
      expect(stale).toBe('old');
      expect(await cache.get('g', 'k')).toBeUndefined();
      expect(cache.stats().hits).toBeGreaterThan(0);
    } finally {
      await cache.close();
    }
  });
});

describe('redis cache', () => {
  it('fails fast at start when Redis does not answer, naming REDIS_URL', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const err = await createRedisCache({ url, keyspace: 'x', ttlSeconds: 1, onError: () => undefined }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ code: 'CACHE_FAILED' });
    expect(err.message).toContain('REDIS_URL');
    expect(err.message).toContain(url);
  });

  it('keeps registries on different databases apart', async () => {
    const one = await createRedisCache({
      url: redis.url,
      keyspace: 'db-one',
      ttlSeconds: 60,
      onError: () => undefined,
    });
    const two = await createRedisCache({
      url: redis.url,
      keyspace: 'db-two',
      ttlSeconds: 60,
      onError: () => undefined,
    });
    try {
      await one.set('asset:x/y', 'k', 'from one');
      expect(await two.get('asset:x/y', 'k')).toBeUndefined();
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('answers misses during an outage, counts the errors, and replays invalidations afterwards', async () => {
    const dir = await makeTempDir();
    const own = await startOwnRedis(dir);
    const seen: string[] = [];
    const cache = await createRedisCache({
      url: own.url,
      keyspace: 'outage',
      ttlSeconds: 60,
      onError: (_err, op) => seen.push(op),
    });
    try {
      await cache.set('asset:a/b', 'k', 'before');
      expect(await cache.get('asset:a/b', 'k')).toBe('before');
      await own.stop();
      expect(await cache.get('asset:a/b', 'k')).toBeUndefined();
      expect(await cache.wrap('asset:a/b', 'k', async () => 'from the store')).toBe('from the store');
      await cache.del('asset:a/b');
      expect(cache.stats().errors).toBeGreaterThanOrEqual(3);
      expect(seen).toContain('invalidate');

      // Redis comes back with its saved data, 'before' included: the missed invalidation is replayed.
      await own.start();
      await waitFor('the invalidation to be replayed', async () => {
        await cache.set('asset:other/x', 'probe', 'p');
        return (
          (await cache.get('asset:other/x', 'probe')) === 'p' &&
          (await cache.get('asset:a/b', 'k')) === undefined
        );
      });
      await cache.set('asset:a/b', 'k', 'after');
      expect(await cache.get('asset:a/b', 'k')).toBe('after');
    } finally {
      await cache.close();
      await own.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe.each(makers)('%s cache, read in the same turn (peek)', (kind, make) => {
  const urls = (base: string) => ({ publicUrl: base, artifactsUrl: `${base}/artifacts` });
  it('hands back what this process holds, as a hit, under the keys of its base URLs only', async () => {
    const base = await make();
    const cache = keysForUrls(base, urls('http://a.example'));
    try {
      // Redis alone holds nothing in this process: every read goes through wrap.
      expect(cache.peek === undefined).toBe(kind === 'redis');
      if (cache.peek === undefined) return;
      const before = cache.stats();
      expect(cache.peek('g', 'k')).toBeUndefined();
      expect(await cache.wrap('g', 'k', async () => 'v')).toBe('v');
      expect(cache.peek('g', 'k')?.toString()).toBe('v');
      // The miss is the wrap's (a peek that finds nothing is not counted), the hit the peek's.
      expect(cache.stats()).toMatchObject({ hits: before.hits + 1, misses: before.misses + 1 });
      expect(keysForUrls(base, urls('http://b.example')).peek!('g', 'k')).toBeUndefined();
      await cache.del('g');
      expect(cache.peek('g', 'k')).toBeUndefined();
    } finally {
      await base.close();
    }
  });
});

describe('in-process caches of processes sharing one Postgres', () => {
  it('drop a group in every process when one invalidates it', async () => {
    const t = await openTestDb('postgres');
    const other = await t.reopen();
    const make = (db: typeof other) =>
      shareInvalidations(
        createMemoryCache({ maxEntries: 10, ttlSeconds: 60 }),
        db as Parameters<typeof shareInvalidations>[1],
        () => undefined,
      );
    const a = await make(t.db);
    const b = await make(other);
    try {
      await a.set('asset:x/y', 'k', 'a');
      await b.set('asset:x/y', 'k', 'b');
      // What the fast path answers in the same turn (peek) is dropped too.
      expect(b.peek?.('asset:x/y', 'k')).toBe('b');
      await a.del('asset:x/y');
      await waitFor('the other process to drop it', () => b.peek?.('asset:x/y', 'k') === undefined);
      expect(await b.get('asset:x/y', 'k')).toBeUndefined();
      expect(await a.get('asset:x/y', 'k')).toBeUndefined();
    } finally {
      await a.close();
      await b.close();
      await t.cleanup();
    }
  });
});

describe('the in-process first level in front of Redis', () => {
  /** A first level of `maxBytes` over Redis, in a keyspace of its own. */
  const firstLevelOverRedis = async (maxBytes: number) =>
    withFirstLevel(
      await createRedisCache({
        url: redis.url,
        keyspace: `l1-${Math.random()}`,
        ttlSeconds: 60,
        onError: () => undefined,
      }),
      { maxBytes, ttlSeconds: 60 },
    );

  it('keeps entries within its byte budget, and leaves one large response to Redis', async () => {
    const cache = await firstLevelOverRedis(20_000);
    const inMemory = async (key: string, value: string) => {
      const before = cache.stats().firstLevel!.hits;
      await cache.wrapBytes('g', key, async () => value);
      return cache.stats().firstLevel!.hits > before;
    };
    try {
      const small = 'x'.repeat(500);
      for (let i = 0; i < 10; i++) await cache.wrapBytes('g', `small-${i}`, async () => small);
      // A body above an eighth of the budget is served from Redis every time and evicts nothing.
      const big = 'y'.repeat(5_000);
      expect(await cache.wrapBytes('g', 'big', async () => big)).toEqual(Buffer.from(big));
      expect(await inMemory('big', big)).toBe(false);
      expect((await cache.wrapBytes('g', 'big', async () => 'not loaded again'))!.toString()).toBe(big);
      for (let i = 0; i < 10; i++) expect(await inMemory(`small-${i}`, small)).toBe(true);

      // Far more than the budget: the oldest go, what stays fits in it.
      for (let i = 0; i < 100; i++) await cache.wrapBytes('g', `more-${i}`, async () => small);
      const { bytes, entries } = cache.stats().firstLevel!;
      expect(bytes).toBeLessThanOrEqual(20_000);
      expect(entries).toBeLessThan(40);
      expect(await inMemory('small-0', small)).toBe(false);
      expect(await inMemory('more-99', small)).toBe(true);
    } finally {
      await cache.close();
    }
  });

  it('is dropped whole when the listener connection is lost, and again when it is back', async () => {
    const t = await openTestDb('postgres');
    const cache = await firstLevelOverRedis(1_000_000);
    const shared = await shareInvalidations(
      cache,
      t.db as Parameters<typeof shareInvalidations>[1],
      () => undefined,
    );
    // From the server's own database: connections to the test database are refused for a while below.
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    const database = new URL(t.env.DATABASE_URL!).pathname.slice(1);
    const allowConnections = (allow: boolean) =>
      admin.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS ${allow}`);
    const entries = () => shared.stats().firstLevel!.entries;
    try {
      await shared.wrapBytes!('asset:x/y', 'k', async () => 'v');
      expect(entries()).toBe(1);
      // The listener cannot reconnect until allowed again, however slow this run is.
      await allowConnections(false);
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE datname = $1 AND query = 'LISTEN bonsai_cache_invalidation'`,
        [database],
      );
      expect(rows[0]!.n).toBe(1);
      await waitFor('the lost listener to drop the cache', () => entries() === 0);
      // Refilled while nothing listens: invalidations sent meanwhile are missed, so it goes again.
      await shared.wrapBytes!('asset:x/y', 'k', async () => 'v');
      expect(entries()).toBe(1);
      await allowConnections(true);
      await waitFor('the listener to be back and drop the cache', () => entries() === 0);
    } finally {
      await allowConnections(true).catch(() => undefined);
      await admin.end();
      await shared.close();
      await t.cleanup();
    }
  });

  it('drops what it kept from Redis while another process could not invalidate it, once that one can', async () => {
    const t = await openTestDb('postgres');
    const target = new URL(redis.url);
    let link = await relay(target);
    const open = async (url: string) =>
      openCache(
        loadConfig({ env: { REDIS_URL: url }, cwd: os.tmpdir() }),
        await t.reopen(),
        pino({ level: 'silent' }),
      );
    const a = await open(redis.url);
    const b = await open(`redis://127.0.0.1:${link.port}`);
    try {
      const read = (value: string) => a.wrap('asset:x/y', 'k', async () => value);
      expect(await read('old')).toBe('old');
      // B loses Redis, A does not: B's invalidation (an ingest) reaches A's memory but not Redis, so A
      // finds the stale entry there again and keeps it.
      await link.close();
      await b.del('asset:x/y');
      await waitFor('A to drop its memory', () => a.stats().firstLevel!.entries === 0);
      expect(await read('new')).toBe('old');
      // Once B's invalidation reaches Redis, A drops what it kept.
      link = await relay(target, link.port);
      await waitFor('A to serve what B invalidated', async () => (await read('new')) === 'new');
    } finally {
      await a.close();
      await b.close();
      await link.close();
      await t.cleanup();
    }
  });
});
