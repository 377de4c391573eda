import type { Cache, CacheStats } from './port.js';
import { GroupedLru } from './grouped-lru.js';

/** A cache holding entries in this process, which other processes' invalidations must reach. */
export interface MemoryCache extends Cache {
  /** Drops a group here only: another process invalidated it (and any shared backend) already. */
  forget(group: string): void;
  /** Forgets everything (when invalidations may have been missed). */
  clear(): void;
}

/** The embedded cache: an LRU in this process (no setup; each process has its own). */
export function createMemoryCache(options: { maxEntries: number; ttlSeconds: number }): MemoryCache {
  const lru = new GroupedLru<string>({ max: options.maxEntries, ttl: options.ttlSeconds * 1000 });
  const stats: CacheStats = { hits: 0, misses: 0, errors: 0 };
  const hit = (group: string, key: string) => {
    const value = lru.get(group, key);
    if (value !== undefined) stats.hits++;
    return value;
  };
  const get = (group: string, key: string) => {
    const value = hit(group, key);
    if (value === undefined) stats.misses++;
    return value;
  };
  const forget = (group: string) => lru.drop(group);
  return {
    kind: 'memory',
    description: `in-process LRU (${options.maxEntries} entries)`,
    get: async (group, key) => get(group, key),
    // A peek that finds nothing is no miss: wrap looks next, and counts it.
    peek: hit,
    async set(group, key, value) {
      lru.set(group, key, value);
    },
    async del(group) {
      forget(group);
    },
    async wrap(group, key, load) {
      const hit = get(group, key);
      if (hit !== undefined) return hit;
      // A load that straddles an invalidation of its group is not stored.
      const before = lru.generation(group);
      const value = await load();
      if (value !== undefined) lru.set(group, key, value, before);
      return value;
    },
    stats: () => ({ ...stats }),
    forget,
    clear: () => lru.clear(),
    async close() {
      lru.clear();
    },
  };
}
