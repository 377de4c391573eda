import type { Logger } from 'pino';
import type { Artifacts } from '../artifacts/port.js';
import type { Cache } from '../cache/port.js';
import type { Db, Queryable } from '../db/port.js';
import type { SyncPayload } from '../jobs/queue.js';
import type { Metrics } from '../metrics.js';
import type { DownloadCounter } from './downloads.js';

/** How HTTP handlers start ingest: a job row in the caller's transaction, then a nudge to the worker. */
export interface JobTrigger {
  enqueueSync(q: Queryable, assetId: number, payload: SyncPayload): Promise<{ id: number; created: boolean }>;
  /** Called after the job row is committed. */
  wake(): void;
}

/** Everything the HTTP layer uses, built once at start. */
export interface HttpDeps {
  db: Db;
  cache: Cache;
  artifacts: Artifacts;
  logger: Logger;
  /** The base URLs (fixed once the server listens); ingest's RenderContext has this shape. */
  urls: { publicUrl: string; artifactsUrl: string };
  webhookSecret: string | undefined;
  adminToken: string | undefined;
  /** Embedded mode: the admin token `serve` wrote to DATA_DIR/serve.json for the CLI beside it. */
  localToken?: string | undefined;
  metrics: Metrics;
  /** METRICS_TOKEN: when set, /metrics needs it as a bearer token. */
  metricsToken: string | undefined;
  jobs: JobTrigger;
  downloads: DownloadCounter;
}
