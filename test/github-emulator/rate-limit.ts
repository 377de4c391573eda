import type { RestEndpointMethodTypes } from '@octokit/rest';
import type { Identity } from './auth.js';
import { docs, GitHubApiError } from './errors.js';
import type { Ctx, Middleware } from './http.js';

export interface RateLimitConfig {
  /** Requests per window for a token (GitHub: 5000 an hour, per user). */
  authenticated: number;
  /** Requests per window without a token (GitHub: 60 an hour, per IP). */
  anonymous: number;
  windowSeconds: number;
}

export interface RateLimitStatus {
  limit: number;
  used: number;
  remaining: number;
  /** Epoch seconds. */
  reset: number;
}

type RateLimitJson = RestEndpointMethodTypes['rateLimit']['get']['response']['data'];

const epochSeconds = () => Math.floor(Date.now() / 1000);

const bucketKey = (identity: Identity) =>
  identity.kind === 'token' ? `user:${identity.grant.user.id}` : `ip:${identity.ip}`;

/** GitHub's 403 for an exhausted primary rate limit (Octokit's throttling plugin reads the headers). */
export function primaryRateLimitError(identity: Identity, reset: number, limit: number) {
  const message =
    identity.kind === 'token'
      ? `API rate limit exceeded for user ID ${identity.grant.user.id}.`
      : `API rate limit exceeded for ${identity.ip}. (But here's the good news: Authenticated requests get a ` +
        'higher rate limit. Check out the documentation for more details.)';
  return new GitHubApiError(403, message, docs.rateLimits, {
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': '0',
    'x-ratelimit-used': String(limit),
    'x-ratelimit-reset': String(reset),
    'x-ratelimit-resource': 'core',
  });
}

/**
 * The primary ("core") rate limit: every API request costs one, except `GET /rate_limit` and a 304
 * answered to an authenticated conditional request (GitHub's documented rule).
 */
export class RateLimiter {
  private buckets = new Map<string, { used: number; reset: number }>();

  constructor(private config: RateLimitConfig) {}

  configure(config: Partial<RateLimitConfig>) {
    this.config = { ...this.config, ...config };
  }

  reset() {
    this.buckets.clear();
  }

  status(identity: Identity): RateLimitStatus {
    const limit = identity.kind === 'token' ? this.config.authenticated : this.config.anonymous;
    const key = bucketKey(identity);
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.reset <= epochSeconds()) {
      bucket = { used: 0, reset: epochSeconds() + this.config.windowSeconds };
      this.buckets.set(key, bucket);
    }
    return { limit, used: bucket.used, remaining: Math.max(0, limit - bucket.used), reset: bucket.reset };
  }

  private spend(identity: Identity, cost: number) {
    const bucket = this.buckets.get(bucketKey(identity));
    if (bucket) bucket.used = Math.max(0, bucket.used + cost);
  }

  private setHeaders(ctx: Ctx) {
    const status = this.status(ctx.state.identity);
    ctx.set({
      'x-ratelimit-limit': String(status.limit),
      'x-ratelimit-remaining': String(status.remaining),
      'x-ratelimit-reset': String(status.reset),
      'x-ratelimit-used': String(status.used),
      'x-ratelimit-resource': 'core',
    });
  }

  middleware(): Middleware {
    return async (ctx, next) => {
      const { identity } = ctx.state;
      if (ctx.method === 'GET' && ctx.path === '/rate_limit') {
        this.setHeaders(ctx);
        ctx.body = this.overview(identity);
        return;
      }
      const before = this.status(identity);
      if (before.remaining === 0) throw primaryRateLimitError(identity, before.reset, before.limit);
      this.spend(identity, 1);
      this.setHeaders(ctx);
      try {
        await next();
      } finally {
        if (ctx.status === 304 && identity.kind === 'token') {
          this.spend(identity, -1);
          this.setHeaders(ctx);
        }
      }
    };
  }

  private overview(identity: Identity): RateLimitJson {
    const { limit, used, remaining, reset } = this.status(identity);
    const core = { limit, used, remaining, reset };
    return { resources: { core, search: { limit: 30, used: 0, remaining: 30, reset } }, rate: core };
  }
}
