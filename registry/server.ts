import type { AddressInfo } from 'node:net';
import http from 'node:http';
import type { Logger } from 'pino';
import { artifactsBaseUrl, type RegistryConfig } from './config.js';
import { RegistryError, messageOf } from './errors.js';
import { createApp } from './http/app.js';
import { answerClientError } from './http/client-errors.js';
import { DownloadCounter } from './http/downloads.js';
import { withFastPath } from './http/fast-path.js';
import { DOWNLOADS_LIST_CACHE_GROUP } from './cache/names.js';
import { keysForUrls } from './cache/render-keys.js';
import type { HttpDeps } from './http/deps.js';
import { enqueueSync } from './jobs/queue.js';
import { newHolderId } from './jobs/lease.js';
import { enqueueDuePolls } from './jobs/poll.js';
import { recoverInterruptedJobs } from './jobs/recover.js';
import { runSyncJob } from './jobs/sync-job.js';
import { JobWorker } from './jobs/worker.js';
import { Redis } from 'ioredis';
import { withRateLimits } from './http/rate-limit.js';
import { scheduleRetention } from './retention.js';
import { removeLocalServerFile, writeLocalServerFile } from './local-server.js';
import { newToken } from './tokens.js';
import {
  instanceId,
  openRuntime,
  rerenderIfUrlsChanged,
  type Runtime,
  type RuntimeOverrides,
} from './runtime.js';

export interface RunningRegistry {
  /** Where the server listens (http://HOST:PORT). */
  url: string;
  runtime: Runtime;
  worker: JobWorker;
  /** The background render after a base URL change: how many assets this process rendered. */
  rerendered(): Promise<number>;
  close(): Promise<void>;
}

/** How often an idle worker checks for jobs other processes enqueued. */
const JOB_IDLE_MS = 1_000;

/**
 * `bonsai registry serve`: opens the ports, listens, then starts the job worker and the poller. The
 * start-up log names every backend in use.
 */
export async function startRegistry(
  config: RegistryConfig,
  logger: Logger,
  overrides: RuntimeOverrides = {},
): Promise<RunningRegistry> {
  // Embedded PGlite on its own thread: a miss's statements never hold the loop that answers hits.
  const runtime = await openRuntime(config, logger, { ...overrides, pgliteThread: 'own' });
  const { db, cache, artifacts } = runtime;
  const workerId = newHolderId();
  const worker = new JobWorker({
    db,
    id: workerId,
    leaseMs: config.jobLeaseMs,
    maxAttempts: config.jobAttempts,
    backoffMs: config.jobBackoffMs,
    idleMs: JOB_IDLE_MS,
    concurrency: config.workerConcurrency,
    deadlineMs: config.jobDeadlineMs,
    logger: logger.child({ component: 'jobs', worker: workerId }),
    handle: (job, held, signal) => runSyncJob(runtime, job, held, signal),
  });
  // Counts change the order of the pages in download order: those are dropped after each write.
  const downloads = new DownloadCounter(db, logger, () => cache.del(DOWNLOADS_LIST_CACHE_GROUP));
  const deps: HttpDeps = {
    db,
    // Entries made with other base URLs (a shared Redis, a rolling deploy) are never found.
    cache: keysForUrls(cache, runtime.urls),
    artifacts,
    logger,
    urls: runtime.urls,
    webhookSecret: config.webhookSecret,
    adminToken: config.adminToken,
    metrics: runtime.metrics,
    metricsToken: config.metricsToken,
    jobs: { enqueueSync, wake: () => worker.wake() },
    downloads,
  };
  // The port (and with it the default PUBLIC_URL) is known only once the server listens, so it listens
  // first and holds requests until the base URLs are fixed.
  const limiterRedis = config.redisUrl ? await openLimiterRedis(config.redisUrl) : undefined;
  const limited = withRateLimits(
    config.rateLimits,
    { redis: limiterRedis, keyspace: await instanceId(db) },
    withFastPath(deps, createApp(deps).callback()),
    (_req, res) => deps.metrics.request('(rate-limited)', 'ANY', res.statusCode, 0),
  );
  const gate = holdRequests(limited);
  const server = http.createServer(gate.handler);
  server.on('clientError', answerClientError);
  let poller: NodeJS.Timeout | undefined;
  const stopRerender = new AbortController();
  let rerendering: Promise<number> = Promise.resolve(0);
  let stopRetention = () => undefined as void;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(listenFailure(err, config)));
      server.listen(config.port, config.host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    if (!config.publicUrlExplicit) {
      runtime.urls.publicUrl = `http://localhost:${port}`;
      runtime.urls.artifactsUrl = artifactsBaseUrl({ ...config, publicUrl: runtime.urls.publicUrl });
    }
    // Renders made with other base URLs are rendered again in the background; reads never serve them.
    rerendering = rerenderIfUrlsChanged(runtime, stopRerender.signal).catch((err: unknown) => {
      logger.error({ err: messageOf(err) }, 'background render stopped');
      return 0;
    });
    if (db.kind === 'pglite') {
      deps.localToken = newToken();
      const local = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '[::1]' : config.host;
      await writeLocalServerFile(config.dataDir, {
        url: `http://${local.includes(':') && !local.startsWith('[') ? `[${local}]` : local}:${port}`,
        token: deps.localToken,
        pid: process.pid,
      });
    }
    gate.open();
    await recoverInterruptedJobs(db);
    worker.start();
    downloads.start();
    stopRetention = scheduleRetention(db, config.retentionDays, logger.child({ component: 'retention' }));
    if (config.pollIntervalMs > 0) {
      const tick = Math.max(1_000, Math.min(config.pollIntervalMs / 4, 30_000));
      poller = setInterval(() => void poll(runtime, worker), tick);
    }
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
    const url = `http://${host}:${port}`;
    logger.info(
      {
        url,
        publicUrl: runtime.urls.publicUrl,
        database: db.description,
        cache: cache.description,
        artifacts: artifacts.description,
        github: config.githubApiUrl,
        webhooks: config.webhookSecret ? 'signed with WEBHOOK_SECRET' : 'refused (WEBHOOK_SECRET not set)',
        admin: config.adminToken ? 'ADMIN_TOKEN and API tokens' : 'API tokens only (ADMIN_TOKEN not set)',
        poll: config.pollIntervalMs > 0 ? `every ${config.pollIntervalMs / 1000}s` : 'off',
      },
      'registry listening',
    );
    return {
      url,
      runtime,
      worker,
      rerendered: () => rerendering,
      async close() {
        clearInterval(poller);
        stopRetention();
        stopRerender.abort();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        if (deps.localToken) await removeLocalServerFile(config.dataDir, deps.localToken);
        await worker.stop();
        await rerendering;
        await downloads.stop();
        limiterRedis?.disconnect();
        await runtime.close();
        logger.info('registry stopped');
      },
    };
  } catch (err) {
    clearInterval(poller);
    stopRetention();
    stopRerender.abort();
    await rerendering;
    server.close();
    server.closeAllConnections();
    await worker.stop();
    limiterRedis?.disconnect();
    await runtime.close();
    throw err;
  }
}

/**
 * The rate limiter's own Redis connection (the cache's is wrapped in its circuit breaker): commands
 * fail at once while Redis is down, and the limiter then counts in memory.
 */
async function openLimiterRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 500,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  redis.on('error', () => undefined);
  // The cache checked REDIS_URL at start already; a failure here only means in-memory counting.
  await redis.connect().catch(() => undefined);
  return redis;
}

/** Why the server could not listen, as a coded error naming the address (not a stack trace). */
function listenFailure(err: Error & { code?: string }, config: RegistryConfig): Error {
  const where = `${config.host}:${config.port}`;
  if (err.code === 'EADDRINUSE')
    return new RegistryError('PORT_IN_USE', `cannot listen on ${where}: the port is already in use`, {
      cause: err,
    });
  if (err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
    return new RegistryError('LISTEN_FAILED', `cannot listen on ${where}: ${err.message}`, { cause: err });
  return err;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A handler that holds every request until `open` is called, then passes them on in order. */
function holdRequests(next: Handler): { handler: Handler; open(): void } {
  let isOpen = false;
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return {
    handler: (req, res) => {
      if (isOpen) next(req, res);
      else void opened.then(() => next(req, res));
    },
    open() {
      isOpen = true;
      release();
    },
  };
}

/** Queues a conditional sync for every asset due, then wakes the worker. */
async function poll(runtime: Runtime, worker: JobWorker): Promise<void> {
  try {
    const due = await enqueueDuePolls(runtime.db, runtime.config.pollIntervalMs);
    if (due.length > 0) worker.wake();
  } catch (err) {
    runtime.logger.warn({ err: messageOf(err) }, 'poll failed');
  }
}
