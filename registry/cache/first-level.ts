import { GroupedLru } from './grouped-lru.js';
import type { MemoryCache } from './memory.js';
import type { Cache, CacheStats } from './port.js';

export interface FirstLevelOptions {
  /** Bytes of entries kept (keys and a fixed overhead per entry included). */
  maxBytes: number;
  /** A safety net only: invalidations drop entries at once (see shareInvalidations). */
  ttlSeconds: number;
}

/** What an entry costs besides its bytes (key, LRU bookkeeping), so tiny entries are not free. */
const ENTRY_OVERHEAD = 200;
/** One entry may take this share of the budget at most: a 2 MB asset object never empties the cache. */
const LARGEST_SHARE = 8;

/**
 * A small cache in this process in front of the shared one (Redis): a hit costs no round trip and is the
 * same Buffer every time (the fast path sends it as it is). Bounded by bytes, since an asset object may
 * be megabytes. An invalidation goes to the shared cache first and then drops the group here, so a read
 * in between cannot refill this cache from the old shared entry; other processes drop it when told
 * (shareInvalidations, by Postgres NOTIFY). A read that straddles an invalidation is not kept (generation
 * check, GroupedLru). Hits here count as hits; the shared cache counts its own hits, misses, errors.
 */
export function withFirstLevel(
  shared: Cache,
  options: FirstLevelOptions,
): MemoryCache & Required<Pick<Cache, 'wrapBytes' | 'peek'>> {
  const largest = Math.floor(options.maxBytes / LARGEST_SHARE);
  const lru = new GroupedLru<Buffer>({
    maxSize: options.maxBytes,
    maxEntrySize: largest,
    sizeCalculation: (value, id) => value.length + id.length + ENTRY_OVERHEAD,
    ttl: options.ttlSeconds * 1000,
  });
  let hits = 0;
  const generation = (group: string) => lru.generation(group);
  const forget = (group: string) => lru.drop(group);
  const hit = (group: string, key: string) => {
    const value = lru.get(group, key);
    if (value !== undefined) hits++;
    return value;
  };
  /**
   * Keeps `value` unless the group moved since `before` or it is too large. A Buffer from Redis may be a
   * slice of a larger one, so kept bytes are copied into memory of their own (the budget counts what is
   * really held).
   */
  const keep = (group: string, key: string, value: Buffer | string, before: string): Buffer => {
    const size = Buffer.byteLength(value);
    // The id lru-cache weighs is the group, a separator and the key.
    if (generation(group) !== before || size + group.length + 1 + key.length + ENTRY_OVERHEAD > largest) {
      return typeof value === 'string' ? Buffer.from(value) : value;
    }
    const bytes = Buffer.allocUnsafeSlow(size);
    if (typeof value === 'string') bytes.write(value);
    else value.copy(bytes);
    lru.set(group, key, bytes, before);
    return bytes;
  };

  return {
    kind: shared.kind,
    description: `${shared.description}, with an in-process cache of ${options.maxBytes} bytes in front`,
    async get(group, key) {
      const local = hit(group, key);
      if (local !== undefined) return local.toString();
      const before = generation(group);
      const value = await shared.get(group, key);
      if (value !== undefined) keep(group, key, value, before);
      return value;
    },
    async set(group, key, value) {
      const before = generation(group);
      await shared.set(group, key, value);
      keep(group, key, value, before);
    },
    async del(group) {
      try {
        await shared.del(group);
      } finally {
        forget(group);
      }
    },
    async wrap(group, key, load) {
      const local = hit(group, key);
      if (local !== undefined) return local.toString();
      const before = generation(group);
      const value = await shared.wrap(group, key, load);
      if (value !== undefined) keep(group, key, value, before);
      return value;
    },
    peek: hit,
    async wrapBytes(group, key, load) {
      const local = hit(group, key);
      if (local !== undefined) return local;
      const before = generation(group);
      const value = shared.wrapBytes
        ? await shared.wrapBytes(group, key, load)
        : await shared.wrap(group, key, load);
      return value === undefined ? undefined : keep(group, key, value, before);
    },
    stats(): CacheStats {
      const below = shared.stats();
      return {
        ...below,
        hits: below.hits + hits,
        firstLevel: { hits, entries: lru.size, bytes: lru.calculatedSize },
      };
    },
    ...(shared.check ? { check: shared.check.bind(shared) } : {}),
    forget,
    clear: () => lru.clear(),
    async close() {
      lru.clear();
      await shared.close();
    },
  };
}
