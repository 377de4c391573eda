import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { errorBody, JSON_TYPE } from './respond.js';

/** Budgets per minute (0: no limit). */
export interface RateLimitSettings {
  reads: number;
  writes: number;
  authFailures: number;
  /** Proxies in front whose X-Forwarded-For is believed (0: the socket's address is the client). */
  trustProxy: number;
}

export interface RateLimitBackend {
  /** Shared by every replica when set (REDIS_URL); each process counts alone otherwise. */
  redis?: Redis;
  /** Names this registry's keys in a shared Redis. */
  keyspace: string;
}

const WINDOW_SECONDS = 60;
/** After too many failed authentications an address waits this long. */
const AUTH_BLOCK_SECONDS = 15 * 60;

/** Routes for probes and Prometheus are never limited (a 429 there would read as an outage). */
const EXEMPT = new Set(['/livez', '/readyz', '/healthz', '/metrics']);
/** Writes limited per token: registration and the CI trigger (webhooks have their own in-flight gate). */
const WRITE_ROUTE = /^(\/api\/v1\/repos|\/assets\/[^/]+\/[^/]+\/build)\/?$/;

function limiter(points: number, backend: RateLimitBackend, name: string): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ points, duration: WINDOW_SECONDS });
  if (!backend.redis) return memory;
  return new RateLimiterRedis({
    storeClient: backend.redis,
    keyPrefix: `bonsai:${backend.keyspace}:rl:${name}`,
    points,
    duration: WINDOW_SECONDS,
    // Redis down: each process keeps limiting on its own until it is back.
    rejectIfRedisNotReady: true,
    insuranceLimiter: memory,
  });
}

/** The client address: the socket's, or the one `trustProxy` proxies reported in X-Forwarded-For. */
export function clientAddress(req: IncomingMessage, trustProxy: number): string {
  const socket = req.socket.remoteAddress ?? 'unknown';
  if (trustProxy === 0) return socket;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  // Each trusted proxy appended the address it saw: the client is `trustProxy` entries from the end.
  return hops[hops.length - trustProxy] ?? hops[0] ?? socket;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const isMetrics = (url = '/') => url === '/metrics' || url.startsWith('/metrics?');

interface Budget {
  limiter: RateLimiterAbstract;
  key: string;
  points: number;
}

/**
 * Per client address for reads, per token for writes, per address for failed authentication (401s on
 * the write routes and /metrics: once the budget is spent the address is refused for 15 minutes). Answers 429
 * with Retry-After and Bonsai's JSON error before the request reaches the fast path or Koa; every
 * limited answer carries X-RateLimit-Limit, -Remaining and -Reset (seconds).
 */
export function withRateLimits(
  settings: RateLimitSettings,
  backend: RateLimitBackend,
  next: Handler,
  onLimited: (req: IncomingMessage, res: ServerResponse) => void = () => undefined,
): Handler {
  const reads = settings.reads > 0 ? limiter(settings.reads, backend, 'read') : undefined;
  const writes = settings.writes > 0 ? limiter(settings.writes, backend, 'write') : undefined;
  const failures = settings.authFailures > 0 ? limiter(settings.authFailures, backend, 'auth') : undefined;
  if (!reads && !writes && !failures) return next;

  const refuse = (res: ServerResponse, retrySeconds: number, message: string) => {
    const body = errorBody('TOO_MANY_REQUESTS', [
      message,
      `retry after ${retrySeconds} second(s) (Retry-After)`,
    ]);
    res.writeHead(429, {
      'Retry-After': String(retrySeconds),
      'Content-Type': JSON_TYPE,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    res.end(body);
  };
  const setHeaders = (res: ServerResponse, points: number, state: RateLimiterRes) => {
    res.setHeader('X-RateLimit-Limit', String(points));
    res.setHeader('X-RateLimit-Remaining', String(Math.max(0, state.remainingPoints)));
    res.setHeader('X-RateLimit-Reset', String(Math.ceil(state.msBeforeNext / 1000)));
  };

  const check = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (EXEMPT.has(path) && path !== '/metrics') return true;
    const ip = clientAddress(req, settings.trustProxy);
    const guarded = req.method === 'POST' && WRITE_ROUTE.test(path);
    if (failures && (guarded || path === '/metrics')) {
      const state = await failures.get(ip);
      if (state && state.consumedPoints >= settings.authFailures) {
        refuse(
          res,
          Math.max(1, Math.ceil(state.msBeforeNext / 1000)),
          'too many failed authentications from this address',
        );
        return false;
      }
      res.once('finish', () => {
        if (res.statusCode !== 401) return;
        failures
          .consume(ip)
          .then((after) => {
            if (after.consumedPoints >= settings.authFailures) return failures.block(ip, AUTH_BLOCK_SECONDS);
          })
          .catch(() => undefined);
      });
    }
    if (path === '/metrics') return true;
    let budget: Budget | undefined;
    if (guarded && writes) {
      const auth = req.headers.authorization ?? '';
      // Keyed by a hash of the credential (never the token itself), else by address.
      const key = auth ? createHash('sha256').update(auth).digest('hex').slice(0, 32) : `ip:${ip}`;
      budget = { limiter: writes, key, points: settings.writes };
    } else if ((req.method === 'GET' || req.method === 'HEAD') && reads) {
      budget = { limiter: reads, key: ip, points: settings.reads };
    }
    if (!budget) return true;
    try {
      setHeaders(res, budget.points, await budget.limiter.consume(budget.key));
      return true;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) return true; // the limiter failed: never fail the request
      setHeaders(res, budget.points, err);
      refuse(
        res,
        Math.max(1, Math.ceil(err.msBeforeNext / 1000)),
        `more than ${budget.points} ${guarded ? 'write requests with this token' : 'requests from this address'} per minute`,
      );
      return false;
    }
  };

  return (req, res) => {
    // Without a read budget a read has nothing to check (failed authentications lock out /metrics, not
    // reads): it goes on at once, with no promise on the hot path.
    if (!reads && (req.method === 'GET' || req.method === 'HEAD') && !(failures && isMetrics(req.url))) {
      next(req, res);
      return;
    }
    check(req, res).then(
      (pass) => (pass ? next(req, res) : onLimited(req, res)),
      () => next(req, res),
    );
  };
}
