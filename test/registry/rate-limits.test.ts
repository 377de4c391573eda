import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../registry/config.js';
import { startRegistry, type RunningRegistry } from '../../registry/server.js';
import { ADMIN_TOKEN, startHarness, type Harness } from './support/harness.js';
import { startOwnRedis, type OwnRedis } from './support/redis-server.js';
import { waitFor } from './support/wait.js';

/**
 * Rate limits as clients meet them: a burst past the budget gets 429 with Retry-After and Bonsai's JSON
 * error; two replicas on one Redis share one budget per client; writes count per token; failed
 * authentications lock an address out. Each test is its own client (X-Forwarded-For, TRUST_PROXY=1).
 */

const READS = 10;
const WRITES = 4;
const FAILURES = 3;
const LIMITS = {
  RATE_LIMIT_READS: String(READS),
  RATE_LIMIT_WRITES: String(WRITES),
  RATE_LIMIT_AUTH_FAILURES: String(FAILURES),
  TRUST_PROXY: 'true',
};

let redis: OwnRedis;
let h: Harness;
let second: RunningRegistry;

beforeAll(async () => {
  redis = await startOwnRedis();
  h = await startHarness({ db: 'postgres', env: { REDIS_URL: redis.url, ...LIMITS } });
  second = await startRegistry(loadConfig({ env: h.env, cwd: h.env.DATA_DIR! }), pino({ level: 'silent' }));
  h.gh.state.createRepo('rate/check');
});
afterAll(async () => {
  await second?.close();
  await h?.close();
  await redis?.stop();
});

const from = (client: string, extra: Record<string, string> = {}) => ({
  'x-forwarded-for': `203.0.113.${client}`,
  ...extra,
});
const getFrom = (base: string, client: string) => fetch(`${base}/api/v1/assets`, { headers: from(client) });

describe('rate limits', () => {
  it('answers a burst past RATE_LIMIT_READS with 429, Retry-After and X-RateLimit-* headers', async () => {
    for (let i = 0; i < READS; i++) {
      const res = await h.get('/api/v1/assets', from('1'));
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBe(String(READS));
      expect(res.headers.get('x-ratelimit-remaining')).toBe(String(READS - 1 - i));
    }
    const refused = await h.get('/api/v1/assets', from('1'));
    expect(refused.status).toBe(429);
    const retry = Number(refused.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(refused.json()).toEqual({
      error_code: 'TOO_MANY_REQUESTS',
      error_messages: [
        `more than ${READS} requests from this address per minute`,
        `retry after ${retry} second(s) (Retry-After)`,
      ],
    });
    // Another client, and the probes, are not affected.
    expect((await h.get('/api/v1/assets', from('2'))).status).toBe(200);
    expect((await h.get('/readyz', from('1'))).status).toBe(200);
    expect((await h.get('/livez', from('1'))).status).toBe(200);
  });

  it('shares one budget between two replicas on one Redis', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < READS; i++) statuses.push((await getFrom(i % 2 ? second.url : h.url, '3')).status);
    expect(statuses).toEqual(Array(READS).fill(200));
    expect((await getFrom(second.url, '3')).status).toBe(429);
    expect((await getFrom(h.url, '3')).status).toBe(429);
  });

  it('counts writes per token (RATE_LIMIT_WRITES)', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const register = await h.post('/api/v1/repos', { repository: 'rate/check' }, from('4', admin));
    expect(register.status).toBe(201);
    expect(register.headers.get('x-ratelimit-remaining')).toBe(String(WRITES - 1));
    const statuses: number[] = [];
    // From other addresses too: the budget belongs to the token.
    for (let i = 0; i < WRITES; i++)
      statuses.push((await h.post('/assets/rate/check/build', '', from(String(10 + i), admin))).status);
    expect(statuses).toEqual([...Array(WRITES - 1).fill(202), 429]);
    // Reads from the same address keep their own budget.
    expect((await h.get('/api/v1/assets', from('4'))).status).toBe(200);
  });

  it('refuses an address after RATE_LIMIT_AUTH_FAILURES failed authentications, even with a good token', async () => {
    for (let i = 0; i < FAILURES; i++) {
      const res = await h.post('/assets/rate/check/build', '', from('5', { authorization: 'Bearer guess' }));
      expect(res.status).toBe(401);
    }
    // The last failure is counted as its answer finishes; then the address is locked out everywhere.
    await waitFor('the lock-out', async () => (await h.get('/metrics', from('5'))).status === 429);
    const locked = await fetch(`${second.url}/assets/rate/check/build`, {
      method: 'POST',
      headers: from('5', { authorization: `Bearer ${ADMIN_TOKEN}` }),
    });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(60);
    expect(await locked.json()).toMatchObject({
      error_code: 'TOO_MANY_REQUESTS',
      error_messages: [
        'too many failed authentications from this address',
        expect.stringMatching(/^retry after \d+ second\(s\) \(Retry-After\)$/),
      ],
    });
    expect((await h.get('/api/v1/assets', from('5'))).status).toBe(200);
  });

  it('counts every refusal in the metrics under one label, never the path', async () => {
    const metrics = await h.get('/metrics', from('6'));
    expect(metrics.text).toMatch(
      /bonsai_http_requests_total\{route="\(rate-limited\)",method="ANY",status="429"\} [1-9]/,
    );
  });
});
