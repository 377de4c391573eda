import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { parsePrometheus, valueOf, type Sample } from './support/prometheus.js';
import { startOwnRedis, type OwnRedis } from './support/redis-server.js';

/** GET /metrics as Prometheus scrapes it: the text format, bounded labels, exact counts. */

const METRICS_TOKEN = 'metrics-token-for-tests';
const ASSET = 'acme/check-metrics-zyx';
const ASSET_ROUTE = '/api/v1/assets/:namespace/:name';
const BUILDS_ROUTE = '/api/v1/assets/:namespace/:name/:version/release_asset_builds';

let h: Harness;
let redis: OwnRedis;

beforeAll(async () => {
  redis = await startOwnRedis();
  h = await startHarness({ env: { METRICS_TOKEN, REDIS_URL: redis.url } });
  h.gh.state.createRepo(ASSET);
  await publish(h.gh, ASSET, '1.0.0');
  await h.addRepo(ASSET);
});
afterAll(async () => {
  await h?.close();
  await redis?.stop();
});

async function scrape(): Promise<Sample[]> {
  const res = await h.get('/metrics', { Authorization: `Bearer ${METRICS_TOKEN}` });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(res.text).samples;
}

describe('GET /metrics', () => {
  it('is refused without METRICS_TOKEN, or with another token, in the JSON error shape', async () => {
    const attempts: Record<string, string>[] = [{}, { Authorization: 'Bearer not-the-metrics-token' }];
    for (const headers of attempts) {
      const res = await h.get('/metrics', headers);
      expect(res.status).toBe(401);
      expect(res.json()).toMatchObject({ error_code: 'UNAUTHORIZED' });
      expect(res.text).not.toContain(METRICS_TOKEN);
    }
  });

  it('parses as the Prometheus text format and carries every family an operator graphs', async () => {
    const res = await h.get('/metrics', { Authorization: `Bearer ${METRICS_TOKEN}` });
    const { samples, types } = parsePrometheus(res.text);
    expect(types.get('bonsai_http_requests_total')).toBe('counter');
    expect(types.get('bonsai_http_request_duration_seconds')).toBe('histogram');
    expect(types.get('bonsai_cache_requests_total')).toBe('counter');
    expect(types.get('bonsai_cache_circuit_state')).toBe('gauge');
    expect(types.get('bonsai_jobs')).toBe('gauge');
    expect(types.get('bonsai_job_runs_total')).toBe('counter');
    expect(types.get('bonsai_job_duration_seconds')).toBe('histogram');
    expect(types.get('bonsai_ingest_versions_total')).toBe('counter');
    expect(types.get('bonsai_github_requests_total')).toBe('counter');
    expect(types.get('bonsai_github_rate_limit_remaining')).toBe('gauge');
    expect(types.get('bonsai_artifact_downloaded_bytes_total')).toBe('counter');
    expect(types.get('process_cpu_seconds_total')).toBe('counter');
    expect(types.get('nodejs_heap_size_used_bytes')).toBe('gauge');

    // The registration's sync ran here: its job, its version, its GitHub calls and its downloads count.
    expect(valueOf(samples, 'bonsai_job_runs_total', { trigger: 'api', outcome: 'succeeded' })).toBe(1);
    expect(valueOf(samples, 'bonsai_job_duration_seconds_count', { trigger: 'api' })).toBe(1);
    expect(valueOf(samples, 'bonsai_ingest_versions_total', { outcome: 'ingested' })).toBe(1);
    expect(valueOf(samples, 'bonsai_jobs', { state: 'done' })).toBe(1);
    expect(valueOf(samples, 'bonsai_jobs', { state: 'pending' })).toBe(0);
    expect(valueOf(samples, 'bonsai_github_requests_total', { status: '200' })).toBeGreaterThan(0);
    const remaining = valueOf(samples, 'bonsai_github_rate_limit_remaining');
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThan(5000);
    expect(valueOf(samples, 'bonsai_artifact_downloaded_bytes_total')).toBeGreaterThan(100);
    expect(valueOf(samples, 'bonsai_cache_circuit_state', { backend: 'redis', state: 'closed' })).toBe(1);
    expect(valueOf(samples, 'bonsai_cache_circuit_state', { backend: 'redis', state: 'open' })).toBe(0);
  });

  it('moves the request counters by exactly the requests made, cache hits and misses included', async () => {
    const before = await scrape();
    const reads = 7;
    for (let i = 0; i < reads; i++) expect((await h.get(`/api/v1/assets/${ASSET}`)).status).toBe(200);
    for (let i = 0; i < 3; i++)
      expect((await h.get(`/api/v1/assets/${ASSET}/1.0.0/release_asset_builds`)).status).toBe(200);
    expect((await h.get('/api/v1/assets/acme/no-such-asset-qqq')).status).toBe(404);
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string>) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    const asset = { route: ASSET_ROUTE, method: 'GET' };
    expect(delta('bonsai_http_requests_total', { ...asset, status: '200' })).toBe(reads);
    expect(delta('bonsai_http_requests_total', { ...asset, status: '404' })).toBe(1);
    expect(delta('bonsai_http_request_duration_seconds_count', asset)).toBe(reads + 1);
    expect(delta('bonsai_http_requests_total', { route: BUILDS_ROUTE, method: 'GET', status: '200' })).toBe(
      3,
    );
    // The first scrape itself is counted by the second.
    expect(delta('bonsai_http_requests_total', { route: '/metrics', status: '200' })).toBe(1);
    // Reads after the first are served from the cache (the fast path): hits move with them.
    expect(delta('bonsai_cache_requests_total', { backend: 'redis', result: 'hit' })).toBeGreaterThanOrEqual(
      reads - 1,
    );
  });

  it('never puts a raw path or an asset name in a label', async () => {
    await h.get('/some/unknown/path-abc123');
    await h.get('/api/v1/assets/acme/check-metrics-zyx/9.9.9/release_asset_builds');
    await h.post('/api/v1/assets/acme/xyz-posted-name', '{}');
    const res = await h.get('/metrics', { Authorization: `Bearer ${METRICS_TOKEN}` });
    const { samples } = parsePrometheus(res.text);
    const values = samples.flatMap((s) => Object.values(s.labels));
    for (const raw of ['path-abc123', 'check-metrics-zyx', 'xyz-posted-name', '9.9.9', 'acme'])
      expect(values.filter((v) => v.includes(raw))).toEqual([]);
    const routes = new Set(
      samples.filter((s) => s.name === 'bonsai_http_requests_total').map((s) => s.labels.route),
    );
    expect(routes).toContain('(unmatched)');
    for (const route of routes) expect(route).toMatch(/^(\(unmatched\)|\/[a-z0-9_/:]*)$/);
  });
});
