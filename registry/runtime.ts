import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { createLinkArtifacts } from './artifacts/link.js';
import { createMirrorArtifacts } from './artifacts/mirror.js';
import type { Artifacts } from './artifacts/port.js';
import { createS3Artifacts } from './artifacts/s3.js';
import { withFirstLevel } from './cache/first-level.js';
import { createMemoryCache, type MemoryCache } from './cache/memory.js';
import type { Cache } from './cache/port.js';
import { createRedisCache } from './cache/redis.js';
import { shareInvalidations } from './cache/shared-memory.js';
import { artifactsBaseUrl, type RegistryConfig } from './config.js';
import { migrate } from './db/migrate.js';
import { openDb, type OpenDbOptions } from './db/open.js';
import type { Db } from './db/port.js';
import { messageOf } from './errors.js';
import { Metrics } from './metrics.js';
import { createGitHub } from './github/octokit.js';
import type { GitHub } from './github/port.js';
import type { RenderContext } from './ingest/render.js';
import { recordRenderUrls, rerenderStale } from './ingest/rerender.js';
import { throttledWarning } from './logger.js';
import type { SyncDeps } from './ingest/sync.js';
import { RENDER_URLS, readState } from './store/state.js';

/** The registry's ports, opened from the settings (DESIGN: ports and adapters). */
export interface Runtime {
  config: RegistryConfig;
  logger: Logger;
  db: Db;
  cache: Cache;
  github: GitHub;
  artifacts: Artifacts;
  /** The base URLs renders embed; `setPublicUrl` fixes them once the server knows its port. */
  urls: RenderContext;
  syncDeps: SyncDeps;
  /** Prometheus metrics of this process (served at /metrics by `serve`). */
  metrics: Metrics;
  close(): Promise<void>;
}

/** Optional replacements, for tests that need a port the settings cannot describe. */
export interface RuntimeOverrides {
  github?: GitHub;
}

/** How the caller wants the ports opened: the server runs embedded PGlite on a thread of its own. */
export type RuntimeOptions = RuntimeOverrides & OpenDbOptions;

/** Names this database's registry in shared services (its Redis keys), made once. */
export async function instanceId(db: Db): Promise<string> {
  const existing = await readState(db, 'instance_id');
  if (existing) return existing;
  await db.query(
    "INSERT INTO registry_state (key, value) VALUES ('instance_id', $1) ON CONFLICT (key) DO NOTHING",
    [randomUUID()],
  );
  return (await readState(db, 'instance_id'))!;
}

/** How long the in-process cache in front of Redis keeps an entry at most: invalidations drop it sooner. */
const FIRST_LEVEL_TTL_SECONDS = 60;

/**
 * Redis when REDIS_URL is set, with a first level in this process in front of it (CACHE_MEMORY bytes);
 * otherwise the in-process LRU. Whatever this process holds in memory is invalidated in the other
 * processes by Postgres NOTIFY when the database is shared (processes sharing Redis share the database:
 * the keyspace is its instance id).
 */
export async function openCache(config: RegistryConfig, db: Db, logger: Logger): Promise<Cache> {
  let memory: MemoryCache;
  // An invalidation replayed after a Redis outage is sent again: while it was pending, another process
  // may have kept the stale entry it found in Redis.
  let replayed = (group: string): void => void group;
  if (config.redisUrl) {
    const unavailable = throttledWarning(logger, 'cache unavailable: answering from the database');
    const redis = await createRedisCache({
      url: config.redisUrl,
      keyspace: await instanceId(db),
      ttlSeconds: config.cacheTtlSeconds,
      onError: (err, operation) => unavailable({ err: messageOf(err), operation }),
      onCircuit: (state, err) => {
        if (state === 'open')
          logger.warn({ err: messageOf(err) }, 'cache circuit open: Redis is skipped for a while');
        else logger.info({ circuit: state }, `cache circuit ${state}`);
      },
      onReplayed: (group) => replayed(group),
    });
    if (config.cacheMemory === 0) return redis;
    memory = withFirstLevel(redis, {
      maxBytes: config.cacheMemory,
      ttlSeconds: Math.min(config.cacheTtlSeconds, FIRST_LEVEL_TTL_SECONDS),
    });
  } else {
    memory = createMemoryCache({ maxEntries: config.cacheSize, ttlSeconds: config.cacheTtlSeconds });
  }
  if (!db.listen) return memory;
  const notSent = throttledWarning(logger, 'cache invalidation not sent to other processes');
  const shared = await shareInvalidations(memory, { ...db, listen: db.listen.bind(db) }, (err) =>
    notSent({ err: messageOf(err) }),
  );
  replayed = (group) => void shared.del(group);
  return shared;
}

/**
 * Opens the database (and applies migrations), the cache, the GitHub client and the artifact store. The
 * database is opened first and closed again if a later port fails, so a failed start leaves no lock.
 */
export async function openRuntime(
  config: RegistryConfig,
  logger: Logger,
  overrides: RuntimeOptions = {},
): Promise<Runtime> {
  const db = await openDb(
    config,
    (err) => logger.error({ err: messageOf(err) }, 'database connection lost'),
    overrides,
  );
  try {
    const applied = await migrate(db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
    const cache = await openCache(config, db, logger);
    const metrics = new Metrics();
    metrics.attach({ cache, db });
    const urls = await renderUrls(config, db);
    const artifacts =
      config.artifactsMode === 'mirror'
        ? await createMirrorArtifacts(path.join(config.dataDir, 'artifacts'), urls.artifactsUrl)
        : config.s3
          ? createS3Artifacts(config.s3, urls.artifactsUrl)
          : createLinkArtifacts();
    const github =
      overrides.github ??
      createGitHub({
        apiUrl: config.githubApiUrl,
        token: config.githubToken,
        timeoutMs: config.githubTimeoutMs,
        artifactHosts: config.artifactHosts,
        logger,
        onAnswer: (status, remaining) => metrics.githubAnswer(status, remaining),
      });
    const syncDeps: SyncDeps = {
      db,
      github,
      artifacts,
      cache,
      urls,
      maxArtifactSize: config.maxArtifactSize,
      limits: {
        maxArchiveEntries: config.maxArchiveEntries,
        maxUnpackedSize: config.maxUnpackedSize,
        downloadDeadlineMs: config.downloadDeadlineMs,
      },
      onArtifactBytes: (bytes) => metrics.artifactDownloaded(bytes),
      logger,
      requireSignatures: config.requireSignatures,
    };
    return {
      config,
      logger,
      db,
      cache,
      github,
      artifacts,
      urls,
      syncDeps,
      metrics,
      async close() {
        artifacts.close?.();
        await cache.close();
        await db.close();
      },
    };
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

/**
 * The base URLs to render with: PUBLIC_URL when set; otherwise the ones the server last rendered with
 * (so `bonsai registry sync` run beside a server writes the URLs that server serves), else the default.
 */
async function renderUrls(config: RegistryConfig, db: Db): Promise<RenderContext> {
  const stored = config.publicUrlExplicit ? undefined : await readState(db, RENDER_URLS);
  if (stored) {
    const previous = JSON.parse(stored) as RenderContext;
    return { publicUrl: previous.publicUrl, artifactsUrl: config.artifactsUrl ?? previous.artifactsUrl };
  }
  return { publicUrl: config.publicUrl, artifactsUrl: artifactsBaseUrl(config) };
}

/**
 * Renders carry the base URLs and the render format; when PUBLIC_URL or ARTIFACTS_URL changed since they
 * were made, or this build renders another format (ingest/render.ts RENDER_FORMAT), the assets are rendered
 * again (from stored data, no GitHub call) in the background: reads render a stale asset first
 * (ingest/rerender.ts), so nothing stale is served meanwhile. The URLs are recorded at once, for `bonsai
 * registry sync` run beside this server. Returns when the background work ends (all rendered, or `signal`
 * stopped it), with how many assets this process rendered.
 */
export async function rerenderIfUrlsChanged(runtime: Runtime, signal?: AbortSignal): Promise<number> {
  await recordRenderUrls(runtime.db, runtime.urls);
  return rerenderStale(runtime, {
    logger: runtime.logger,
    // PGlite runs one statement at a time: small batches keep reads waiting briefly.
    batch: runtime.db.kind === 'pglite' ? 10 : 50,
    signal,
  });
}
