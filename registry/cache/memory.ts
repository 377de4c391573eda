import { LRUCache } from 'lru-cache';
import type { Cache, CacheStats } from './port.js';

/** A cache holding entries in this process, which other processes' invalidations must reach. */
export interface MemoryCache extends Cache {
  /** Drops a group here only: another process invalidated it (and any shared backend) already. */
  forget(group: string): void;
  /** Forgets everything (when invalidations may have been missed). */
  clear(): void;
}

const SEPARATOR = '\u0000';

/** The embedded cache: an LRU in this process (no setup; each process has its own). */
export function createMemoryCache(options: { maxEntries: number; ttlSeconds: number }): MemoryCache {
  const lru = new LRUCache<string, string>({ max: options.maxEntries, ttl: options.ttlSeconds * 1000 });
  const stats: CacheStats = { hits: 0, misses: 0, errors: 0 };
  // Bumped by each invalidation of a group (`epoch` by a clear); a load that straddles one is not stored.
  const generations = new Map<string, number>();
  let epoch = 0;
  const generation = (group: string) => `${epoch}:${generations.get(group) ?? 0}`;
  const forget = (group: string) => {
    generations.set(group, (generations.get(group) ?? 0) + 1);
    const prefix = group + SEPARATOR;
    for (const key of [...lru.keys()]) if (key.startsWith(prefix)) lru.delete(key);
  };
  const get = (group: string, key: string) => {
    const value = lru.get(group + SEPARATOR + key);
    if (value === undefined) stats.misses++;
    else stats.hits++;
    return value;
  };
  return {
    kind: 'memory',
    description: `in-process LRU (${options.maxEntries} entries)`,
    get: async (group, key) => get(group, key),
    async set(group, key, value) {
      lru.set(group + SEPARATOR + key, value);
    },
    async del(group) {
      forget(group);
    },
    async wrap(group, key, load) {
      const hit = get(group, key);
      if (hit !== undefined) return hit;
      const before = generation(group);
      const value = await load();
      if (value !== undefined && generation(group) === before) {
        lru.set(group + SEPARATOR + key, value);
      }
      return value;
    },
    stats: () => ({ ...stats }),
    forget,
    clear() {
      epoch++;
      lru.clear();
    },
    async close() {
      lru.clear();
    },
  };
}
