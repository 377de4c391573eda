import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { redactUrl } from '../config.js';
import { RegistryError, messageOf } from '../errors.js';
import { CircuitBreaker, CircuitOpenError, type CircuitState } from './breaker.js';
import type { Cache, CacheStats } from './port.js';

/** The hash field holding the group's generation token (changed by each invalidation). */
const GENERATION = '#gen';

/** Stores a loaded value only if the group's generation is still the one seen before loading. */
const SET_IF_GENERATION = `
local g = redis.call('HGET', KEYS[1], '${GENERATION}') or ''
if g ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[4]) end
return 1`;

/** Drops a group and gives it a new generation, atomically. */
const INVALIDATE = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '${GENERATION}', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`;

export interface RedisCacheOptions {
  url: string;
  /**
   * Names this registry's keys (its database's instance id): processes sharing a database share entries,
   * registries on other databases sharing one Redis never see each other's.
   */
  keyspace: string;
  ttlSeconds: number;
  /** Called for every backend failure; the request carries on without the cache. */
  onError: (err: unknown, operation: string) => void;
  /** How long one command may take before it counts as a failure (ms). */
  commandTimeoutMs?: number;
  /** Failures in a row that open the circuit (Redis is then skipped). */
  breakerThreshold?: number;
  /** How long an open circuit skips Redis before one probe is let through (ms). */
  breakerCoolDownMs?: number;
  /** Called when the circuit opens, probes or closes. */
  onCircuit?: (state: CircuitState, err: unknown) => void;
  /**
   * Called when an invalidation that failed has now reached Redis: another process may have read the
   * stale entry from Redis meanwhile (it reached Redis, this one did not) and kept it in its memory.
   */
  onReplayed?: (group: string) => void;
}

/**
 * The shared cache: one Redis hash per group, so an invalidation is one atomic script. Connects before
 * returning (fail fast at start); afterwards, while Redis is down, commands fail at once (no offline
 * queue) and count as misses. Invalidations that failed are replayed when the connection comes back, so
 * no stale entry outlives an outage (the TTL bounds anything else).
 */
export async function createRedisCache(options: RedisCacheOptions): Promise<Cache> {
  // No retries until the first connection worked: a wrong REDIS_URL fails the start at once.
  let started = false;
  const redis = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 5_000,
    commandTimeout: options.commandTimeoutMs ?? 500,
    retryStrategy: (times) => (started ? Math.min(times * 200, 2_000) : null),
  });
  // Without a listener ioredis reports connection errors as unhandled; they are expected during an outage.
  let lastConnectionError = '';
  redis.on('error', (err: Error) => {
    lastConnectionError = err.message;
  });
  try {
    await redis.connect();
    await redis.ping();
    started = true;
  } catch (err) {
    redis.disconnect();
    throw new RegistryError(
      'CACHE_FAILED',
      `cannot connect to REDIS_URL ${redactUrl(options.url)}: ${lastConnectionError || messageOf(err)}`,
      {
        hint: 'check that Redis is running at that address, or unset REDIS_URL to use the in-process cache',
        cause: err,
      },
    );
  }

  const PREFIX = `bonsai:${options.keyspace}:`;
  const stats: CacheStats = { hits: 0, misses: 0, errors: 0, skipped: 0 };
  const pendingInvalidations = new Set<string>();
  const failed = (err: unknown, operation: string) => {
    // A skipped call is the breaker working, not a new failure: counted, not logged.
    if (err instanceof CircuitOpenError) {
      stats.skipped = (stats.skipped ?? 0) + 1;
      return;
    }
    stats.errors++;
    options.onError(err, operation);
  };
  // A hung Redis (SIGSTOP, a full network buffer) answers nothing: each command would wait for its
  // timeout. The breaker makes that cost one timeout, then none until a probe finds Redis back.
  const breaker = new CircuitBreaker({
    threshold: options.breakerThreshold ?? 3,
    coolDownMs: options.breakerCoolDownMs ?? 5_000,
    onChange: (state, err) => {
      options.onCircuit?.(state, err);
      if (state === 'closed') replayInvalidations();
    },
  });
  const guarded = <T>(call: () => Promise<T>) => breaker.run(call);
  const invalidateNow = (group: string) =>
    redis.eval(INVALIDATE, 1, PREFIX + group, randomUUID(), options.ttlSeconds);
  const invalidate = (group: string) => guarded(() => invalidateNow(group));
  // A group whose invalidation is still pending is neither read from nor written to Redis (its entries
  // may be stale) until the replay succeeded; the replay goes straight to Redis when it answers again.
  const replayed = (group: string) => {
    if (pendingInvalidations.delete(group)) options.onReplayed?.(group);
  };
  const replayInvalidations = () => {
    for (const group of [...pendingInvalidations]) {
      invalidateNow(group).then(
        () => replayed(group),
        (err: unknown) => failed(err, 'replay invalidation'),
      );
    }
  };
  redis.on('ready', replayInvalidations);
  /**
   * A read of a group still waiting for its invalidation retries it, through the breaker (so it is the
   * probe that closes an open circuit once Redis answers again), and is itself a miss.
   */
  const pendingMiss = (group: string): boolean => {
    if (!pendingInvalidations.has(group)) return false;
    invalidate(group).then(
      () => replayed(group),
      (err: unknown) => failed(err, 'replay invalidation'),
    );
    return true;
  };

  /**
   * The entry (read with `hmget`, as text or as bytes), else `load`'s, stored unless the group was
   * invalidated meanwhile (its generation moved). A miss while its invalidation is pending, or when
   * Redis fails.
   */
  const wrapWith = async <T extends string | Buffer>(
    group: string,
    key: string,
    load: () => Promise<string | undefined>,
    hmget: (redisKey: string) => Promise<(T | null)[]>,
  ): Promise<T | string | undefined> => {
    let generation: string | undefined;
    if (!pendingMiss(group)) {
      try {
        const [value, gen] = await guarded(() => hmget(PREFIX + group));
        if (value !== null && value !== undefined) {
          stats.hits++;
          return value;
        }
        generation = gen?.toString() ?? '';
      } catch (err) {
        failed(err, 'get');
      }
    }
    stats.misses++;
    const value = await load();
    if (value !== undefined && generation !== undefined) {
      try {
        await guarded(() =>
          redis.eval(SET_IF_GENERATION, 1, PREFIX + group, key, value, generation, options.ttlSeconds),
        );
      } catch (err) {
        failed(err, 'set');
      }
    }
    return value;
  };

  return {
    kind: 'redis',
    description: `Redis at ${redactUrl(options.url)}`,
    async get(group, key) {
      if (pendingMiss(group)) {
        stats.misses++;
        return undefined;
      }
      try {
        const value = await guarded(() => redis.hget(PREFIX + group, key));
        if (value === null) stats.misses++;
        else stats.hits++;
        return value ?? undefined;
      } catch (err) {
        stats.misses++;
        failed(err, 'get');
        return undefined;
      }
    },
    async set(group, key, value) {
      if (pendingInvalidations.has(group)) return;
      try {
        await guarded(() =>
          redis
            .multi()
            .hset(PREFIX + group, key, value)
            .expire(PREFIX + group, options.ttlSeconds, 'NX')
            .exec(),
        );
      } catch (err) {
        failed(err, 'set');
      }
    },
    async del(group) {
      try {
        await invalidate(group);
        pendingInvalidations.delete(group);
      } catch (err) {
        pendingInvalidations.add(group);
        failed(err, 'invalidate');
      }
    },
    wrap: (group, key, load) => wrapWith(group, key, load, (k) => redis.hmget(k, key, GENERATION)),
    wrapBytes: (group, key, load) => wrapWith(group, key, load, (k) => redis.hmgetBuffer(k, key, GENERATION)),
    stats: () => ({ ...stats, circuit: breaker.state }),
    async check() {
      if (redis.status !== 'ready') return `not connected (${redis.status})`;
      if (breaker.state === 'open') return 'circuit open: Redis is skipped for a while';
      try {
        // Through the breaker: a hung Redis found by a probe counts like one found by a request.
        await guarded(() => redis.ping());
        return undefined;
      } catch (err) {
        return err instanceof CircuitOpenError ? 'circuit open: Redis is skipped for a while' : 'no answer';
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}
