import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { docs, GitHubApiError } from './errors.js';
import { respond, type Middleware } from './http.js';
import { primaryRateLimitError } from './rate-limit.js';

export type OriginName = 'api' | 'uploads' | 'web' | 'cdn';

export type FaultAction =
  /** Answer this status (and body, default `{ message: <reason> }`) instead of the real one. */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Wait, then answer normally. */
  | { kind: 'delay'; ms: number }
  /** Wait until `until` settles (the test lets the request go), then answer normally. */
  | { kind: 'hold'; until: Promise<unknown> }
  /** GitHub's secondary rate limit: 403 (or 429) with `Retry-After` and its message. */
  | { kind: 'secondary-rate-limit'; retryAfter?: number; status?: 403 | 429 }
  /** GitHub's primary rate limit: 403 with `x-ratelimit-remaining: 0` and a reset time. */
  | { kind: 'primary-rate-limit'; resetInSeconds?: number }
  /** Destroy the socket without answering. */
  | { kind: 'connection-reset' }
  /**
   * Answer normally, but send the body `bytes` at a time, one piece every `everyMs` (a slow or stalling
   * server: never silent long enough for an idle timeout). Ends when the body is sent, or never with
   * `forever` (the last byte is held back).
   */
  | { kind: 'trickle'; bytes: number; everyMs: number; forever?: boolean };

export interface FaultRule {
  /** Any method when omitted. */
  method?: string;
  /** `/repos/:owner/:repo/releases/*` (`:x` one segment, `*` the rest) or a RegExp on the path. */
  path: string | RegExp;
  /** Which server the rule watches; `api` unless given. */
  origin?: OriginName;
  /** How many matching requests it spoils; 1 unless given. */
  times?: number | 'forever';
  action: FaultAction;
}

export interface InjectedFault {
  readonly rule: FaultRule;
  /** How many requests it has spoiled so far. */
  hits: number;
}

const escape = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

function pathMatcher(pattern: string | RegExp): RegExp {
  if (pattern instanceof RegExp) return pattern;
  const source = pattern
    .split('/')
    .map((segment) => (segment === '*' ? '.*' : segment.startsWith(':') ? '[^/]+' : escape(segment)))
    .join('/');
  return new RegExp(`^${source}$`);
}

/** Faults injected by tests, consulted first on every request of every origin. */
export class Faults {
  private active: { fault: InjectedFault; matcher: RegExp }[] = [];

  inject(rule: FaultRule): InjectedFault {
    const fault: InjectedFault = { rule, hits: 0 };
    this.active.push({ fault, matcher: pathMatcher(rule.path) });
    return fault;
  }

  clear() {
    this.active = [];
  }

  private take(origin: OriginName, method: string, path: string): FaultAction | undefined {
    const match = this.active.find(
      ({ fault: { rule }, matcher }) =>
        (rule.origin ?? 'api') === origin &&
        (!rule.method || rule.method.toUpperCase() === method) &&
        matcher.test(path),
    );
    if (!match) return undefined;
    match.fault.hits += 1;
    const times = match.fault.rule.times ?? 1;
    if (times !== 'forever' && match.fault.hits >= times) {
      this.active = this.active.filter((entry) => entry !== match);
    }
    return match.fault.rule.action;
  }

  middleware(origin: OriginName): Middleware {
    return async (ctx, next) => {
      const action = this.take(origin, ctx.method, ctx.path);
      switch (action?.kind) {
        case undefined:
          return next();
        case 'delay':
          await sleep(action.ms);
          return next();
        case 'hold':
          await action.until.catch(() => undefined);
          return next();
        case 'trickle':
          await next();
          ctx.body = trickle(ctx.body, action);
          return;
        case 'connection-reset':
          ctx.respond = false;
          ctx.req.socket.destroy();
          return;
        case 'status':
          if (action.headers) ctx.set(action.headers);
          return respond(ctx, action.status, action.body);
        case 'secondary-rate-limit': {
          const retryAfter = action.retryAfter ?? 60;
          throw new GitHubApiError(
            action.status ?? 403,
            'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you ' +
              `reach out to GitHub Support for help, please include the request ID ${ctx.response.get('x-github-request-id')}.`,
            docs.secondaryRateLimits,
            { 'retry-after': String(retryAfter) },
          );
        }
        case 'primary-rate-limit': {
          const identity = ctx.state.identity ?? { kind: 'anonymous', ip: ctx.ip };
          const reset = Math.floor(Date.now() / 1000) + (action.resetInSeconds ?? 60);
          throw primaryRateLimitError(identity, reset, 5000);
        }
      }
    };
  }
}

/** A body (Buffer or string) sent a few bytes at a time; with `forever`, zero bytes follow it endlessly. */
function trickle(
  body: unknown,
  { bytes, everyMs, forever }: { bytes: number; everyMs: number; forever?: boolean },
): Readable {
  const all = Buffer.isBuffer(body)
    ? body
    : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  return new Readable({
    read() {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (sent >= all.length && !forever) {
          this.push(null);
          return;
        }
        const piece = sent < all.length ? all.subarray(sent, sent + bytes) : Buffer.alloc(bytes);
        sent += piece.length;
        this.push(piece);
      }, everyMs);
    },
    destroy(err, callback) {
      clearTimeout(timer);
      callback(err);
    },
  });
}
