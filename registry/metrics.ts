import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Cache } from './cache/port.js';
import type { Queryable } from './db/port.js';
import { jobCounts, type JobState } from './jobs/queue.js';

/** Request durations in seconds: the fast path answers in well under a millisecond, ingest routes slower. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
const JOB_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const JOB_STATES: readonly JobState[] = ['pending', 'running', 'done', 'failed'];
const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const;

/** Where the collectors read what they report at scrape time. */
export interface MetricsSources {
  cache: Pick<Cache, 'kind' | 'stats'>;
  db: Queryable;
}

interface RequestSeries {
  count: Counter.Internal;
}

/**
 * The registry's Prometheus metrics, one registry per process (tests run several servers in one process,
 * so nothing goes to prom-client's global registry). Labels are bounded: route templates (never raw
 * paths or asset names), methods, status codes, backends, states, triggers.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly durations: Histogram<'route' | 'method'>;
  private readonly jobRuns: Counter<'trigger' | 'outcome'>;
  private readonly jobSeconds: Histogram<'trigger'>;
  private readonly ingests: Counter<'outcome'>;
  private readonly githubRequests: Counter<'status'>;
  private readonly githubRemaining: Gauge;
  private readonly artifactBytes: Counter;
  /** Label children resolved once per series, so the request path only adds numbers. */
  private readonly requestSeries = new Map<string, RequestSeries>();
  private readonly durationSeries = new Map<string, Histogram.Internal<'route' | 'method'>>();
  private sources: MetricsSources | undefined;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'bonsai_http_requests_total',
      help: 'HTTP requests answered, by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    });
    this.durations = new Histogram({
      name: 'bonsai_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route template and method.',
      labelNames: ['route', 'method'],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    const sources = () => this.sources;
    new Counter({
      name: 'bonsai_cache_requests_total',
      help: 'Cache reads by backend and result (hit, miss) and backend errors (error), since start.',
      labelNames: ['backend', 'result'],
      registers,
      collect() {
        const source = sources();
        if (!source) return;
        const stats = source.cache.stats();
        this.reset();
        const backend = source.cache.kind;
        this.inc({ backend, result: 'hit' }, stats.hits);
        this.inc({ backend, result: 'miss' }, stats.misses);
        this.inc({ backend, result: 'error' }, stats.errors);
      },
    });
    new Gauge({
      name: 'bonsai_cache_circuit_state',
      help: 'The Redis circuit breaker: 1 for the current state (closed, open, half-open), 0 for the others.',
      labelNames: ['backend', 'state'],
      registers,
      collect() {
        const source = sources();
        const circuit = source?.cache.stats().circuit;
        if (!source || circuit === undefined) return;
        for (const state of CIRCUIT_STATES)
          this.set({ backend: source.cache.kind, state }, state === circuit ? 1 : 0);
      },
    });
    new Gauge({
      name: 'bonsai_jobs',
      help: 'Ingest jobs in the queue table, by state (shared by every replica of one database).',
      labelNames: ['state'],
      registers,
      async collect() {
        const source = sources();
        if (!source) return;
        // A scrape while the database is down still answers the process's own metrics.
        const counts = await jobCounts(source.db).catch(() => undefined);
        if (!counts) return;
        for (const state of JOB_STATES) this.set({ state }, counts[state]);
      },
    });
    this.jobRuns = new Counter({
      name: 'bonsai_job_runs_total',
      help: 'Ingest job runs in this process, by trigger and outcome (succeeded, failed).',
      labelNames: ['trigger', 'outcome'],
      registers,
    });
    this.jobSeconds = new Histogram({
      name: 'bonsai_job_duration_seconds',
      help: 'Time an ingest job run took, by trigger.',
      labelNames: ['trigger'],
      buckets: JOB_BUCKETS,
      registers,
    });
    this.ingests = new Counter({
      name: 'bonsai_ingest_versions_total',
      help: 'Versions seen by ingest in this process, by outcome (ingested, unchanged, failed, ...).',
      labelNames: ['outcome'],
      registers,
    });
    this.githubRequests = new Counter({
      name: 'bonsai_github_requests_total',
      help: 'GitHub API requests by HTTP status (0: no answer).',
      labelNames: ['status'],
      registers,
    });
    this.githubRemaining = new Gauge({
      name: 'bonsai_github_rate_limit_remaining',
      help: 'X-RateLimit-Remaining of the last GitHub API answer that carried it.',
      registers,
    });
    this.artifactBytes = new Counter({
      name: 'bonsai_artifact_downloaded_bytes_total',
      help: 'Bytes of release artifacts downloaded (and hashed) by ingest.',
      registers,
    });
  }

  /** Connects the scrape-time collectors to the process's cache and database. */
  attach(sources: MetricsSources): void {
    this.sources = sources;
  }

  /** One answered request. `route` is a template (`/api/v1/assets/:namespace/:name`), never a raw path. */
  request(route: string, method: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let series = this.requestSeries.get(key);
    if (!series) {
      series = { count: this.requests.labels(route, method, String(status)) };
      this.requestSeries.set(key, series);
    }
    series.count.inc();
    const timing = `${method} ${route}`;
    let histogram = this.durationSeries.get(timing);
    if (!histogram) {
      histogram = this.durations.labels(route, method);
      this.durationSeries.set(timing, histogram);
    }
    histogram.observe(seconds);
  }

  job(trigger: string, outcome: 'succeeded' | 'failed', seconds: number): void {
    this.jobRuns.inc({ trigger, outcome });
    this.jobSeconds.observe({ trigger }, seconds);
  }

  ingestOutcome(outcome: string): void {
    this.ingests.inc({ outcome });
  }

  githubAnswer(status: number, rateLimitRemaining: string | null): void {
    this.githubRequests.inc({ status: String(status) });
    if (rateLimitRemaining !== null && /^\d+$/.test(rateLimitRemaining))
      this.githubRemaining.set(Number(rateLimitRemaining));
  }

  artifactDownloaded(bytes: number): void {
    this.artifactBytes.inc(bytes);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
