import type { Octokit } from '@octokit/rest';

/**
 * Retries and rate-limit waits for the registry's GitHub reads, as an Octokit plugin. It keeps the rules
 * of @octokit/plugin-retry and @octokit/plugin-throttling (which the registry used before) without their
 * Bottleneck schedulers: those pass every request through several zero-delay timers, ~10 ms a call,
 * ten times what the request itself costs.
 */

/** Told how long GitHub asks to wait (seconds) and how many times this request already waited. */
export type RateLimitHandler = (
  retryAfter: number,
  request: { method: string; url: string },
  retryCount: number,
) => boolean;

export interface RetryPolicy {
  /** Tries after the first for a request that failed (no answer, 5xx); waits 1, 4, 9… s between. */
  retries: number;
  /** At most this many requests in flight; the rest wait their turn. */
  maxConcurrent: number;
  /** The primary rate limit is spent (`x-ratelimit-remaining: 0`): true to wait until it resets. */
  onRateLimit: RateLimitHandler;
  /** GitHub's secondary rate limit: true to wait its `Retry-After`. */
  onSecondaryRateLimit: RateLimitHandler;
}

/** Statuses a repeated request cannot change (plugin-retry's list). */
const DO_NOT_RETRY = new Set([400, 401, 403, 404, 410, 422, 451]);
/** GitHub's wait for a secondary rate limit without Retry-After. */
const SECONDARY_FALLBACK_S = 60;

interface RequestFailure {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined> };
}

/** The wait a rate-limited answer asks for, or undefined when the failure is not a rate limit. */
function rateLimit(err: RequestFailure): { secondary: boolean; retryAfter: number } | undefined {
  if (err.status !== 403 && err.status !== 429) return undefined;
  const headers = err.response?.headers ?? {};
  if (/\bsecondary rate\b/i.test(err.message ?? '')) {
    return { secondary: true, retryAfter: Number(headers['retry-after']) || SECONDARY_FALLBACK_S };
  }
  if (String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']) * 1000;
    // One second more, so the next try comes after the reset.
    return { secondary: false, retryAfter: Math.max(Math.ceil((reset - Date.now()) / 1000) + 1, 0) };
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A counter of free slots and a queue of waiters: no timers, so a free slot costs nothing. */
function slots(max: number) {
  let free = max;
  const waiting: (() => void)[] = [];
  return {
    async take(): Promise<void> {
      if (free > 0) {
        free--;
        return;
      }
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
    give(): void {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}

/** The plugin: `Octokit.plugin(retries(policy))`. */
export function retries(policy: RetryPolicy) {
  const inFlight = slots(policy.maxConcurrent);
  return (octokit: Pick<Octokit, 'hook'>): void => {
    octokit.hook.wrap('request', async (request, options) => {
      let failures = 0;
      let waits = 0;
      for (;;) {
        await inFlight.take();
        let failure: RequestFailure;
        try {
          return await request(options);
        } catch (err) {
          failure = err as RequestFailure;
        } finally {
          inFlight.give();
        }
        const limited = rateLimit(failure);
        if (limited) {
          const handler = limited.secondary ? policy.onSecondaryRateLimit : policy.onRateLimit;
          const target = { method: options.method, url: options.url };
          if (!handler(limited.retryAfter, target, waits)) throw failure;
          waits++;
          await sleep(limited.retryAfter * 1000);
          continue;
        }
        const status = failure.status;
        if (status === undefined || status < 400 || DO_NOT_RETRY.has(status) || failures >= policy.retries)
          throw failure;
        failures++;
        await sleep(failures * failures * 1000);
      }
    });
  };
}
