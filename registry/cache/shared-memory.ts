import type { Db } from '../db/port.js';
import type { Cache } from './port.js';
import type { MemoryCache } from './memory.js';

const CHANNEL = 'bonsai_cache_invalidation';

/**
 * In-process caches of several registry processes sharing one Postgres (the whole cache without Redis,
 * the first level in front of it with Redis): an invalidation is also sent with NOTIFY, after the cache
 * itself (Redis included) was invalidated, and every process drops that group from its own memory. When
 * the listener connection is lost and again when it is back, everything in memory is dropped, since
 * invalidations may have been missed meanwhile.
 */
export async function shareInvalidations(
  cache: MemoryCache,
  db: Db & Required<Pick<Db, 'listen'>>,
  onError: (err: unknown) => void,
): Promise<Cache> {
  const stop = await db.listen(CHANNEL, (group) => {
    if (group === null) cache.clear();
    else cache.forget(group);
  });
  return {
    ...cache,
    description: `${cache.description}, invalidated across processes by Postgres NOTIFY`,
    async del(group) {
      await cache.del(group);
      try {
        await db.query('SELECT pg_notify($1, $2)', [CHANNEL, group]);
      } catch (err) {
        onError(err);
      }
    },
    async close() {
      await stop();
      await cache.close();
    },
  };
}
