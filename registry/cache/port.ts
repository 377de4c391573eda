/**
 * The `Cache` port (DESIGN: ports and adapters): in-process LRU, or Redis shared by every registry process.
 * Entries live in groups (one per asset) so an ingest drops all of an asset's responses at once. A cache
 * never fails its caller: an adapter that cannot reach its backend answers "miss" and counts the error.
 */
export interface Cache {
  readonly kind: 'memory' | 'redis';
  /** For the start-up log (no secrets). */
  readonly description: string;
  get(group: string, key: string): Promise<string | undefined>;
  set(group: string, key: string, value: string): Promise<void>;
  /** Drops every entry of `group`. */
  del(group: string): Promise<void>;
  /**
   * The cached value, or `load()`'s result, cached when defined and the group was not invalidated while
   * loading (so a read racing an ingest never stores the data the ingest just replaced).
   */
  wrap(group: string, key: string, load: () => Promise<string | undefined>): Promise<string | undefined>;
  /**
   * wrap, with a hit handed back as the stored bytes (Redis: no UTF-8 decode of a body that is only sent
   * on); a miss is the loaded string. Absent where entries are kept as strings in this process (wrap
   * hands back the same string every time).
   */
  wrapBytes?(
    group: string,
    key: string,
    load: () => Promise<string | undefined>,
  ): Promise<Buffer | string | undefined>;
  /**
   * The entry when this process holds it, with no I/O, counted as a hit; undefined says only that it is
   * not here (wrap looks further and counts the miss). The fast path answers such a hit in the same turn,
   * with no promise on the way. Absent: every read goes through wrap.
   */
  peek?(group: string, key: string): Buffer | string | undefined;
  stats(): CacheStats;
  /** For /readyz: undefined when the backend answers, else why not (no addresses). Absent: always fine. */
  check?(): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface CacheStats {
  hits: number;
  misses: number;
  /** Backend failures since start (logged, at most one line per interval); reads went to the store. */
  errors: number;
  /** Calls that skipped the backend while its circuit was open (Redis only). */
  skipped?: number;
  /** The backend's circuit breaker (Redis only): `open` while Redis is skipped. */
  circuit?: 'closed' | 'open' | 'half-open';
  /**
   * The in-process cache in front of Redis (first-level.ts): its hits (counted in `hits` too), and what
   * it holds now.
   */
  firstLevel?: { hits: number; entries: number; bytes: number };
}
