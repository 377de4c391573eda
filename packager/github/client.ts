import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import { GitHubTimeoutError, idleTimeoutFetch } from '../../common/idle-timeout-fetch.js';
import { networkFailure } from '../../common/network-failure.js';
import { PackagerError } from '../errors.js';

const PublishingOctokit = Octokit.plugin(retry, throttling);
export type GitHubClient = InstanceType<typeof PublishingOctokit>;

/** How many times a rate-limited request waits for GitHub's Retry-After before giving up. */
const RATE_LIMIT_RETRIES = 2;
/** Longer waits are not worth blocking a terminal for: fail and say when to retry. */
const LONGEST_RATE_LIMIT_WAIT_S = 60;
/** How long GitHub may stay silent (no answer, an upload not moving) before a request is abandoned. */
export const DEFAULT_GITHUB_TIMEOUT_MS = 60_000;

export interface GitHubClientOptions {
  apiUrl: string;
  token: string;
  /**
   * Space content-creating requests as GitHub asks (1 s; 3 s for those that notify). Off for an emulator
   * or a GitHub Enterprise server without secondary rate limits.
   */
  pacing: boolean;
  /** Called with a line when a request is retried or waits for a rate limit. */
  onNotice?: (line: string) => void;
  /** Abandon a request (Octokit retries it) when GitHub stays silent this long; 60 s unless given. */
  timeoutMs?: number;
}

/** @octokit/rest with the retry plugin (5xx, resets) and the throttling plugin (rate limits, pacing). */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const notice = options.onNotice ?? (() => undefined);
  const unpaced = () => new Bottleneck.Group({ maxConcurrent: 1, minTime: 0 });
  return new PublishingOctokit({
    baseUrl: options.apiUrl.replace(/\/+$/, ''),
    auth: options.token,
    userAgent: 'sensu-bonsai-hub-packager',
    request: {
      fetch: idleTimeoutFetch(
        options.timeoutMs ?? DEFAULT_GITHUB_TIMEOUT_MS,
        (ms) => new GitHubTimeoutError(ms),
      ),
    },
    // Octokit logs failed requests itself; every failure reaches the user once, through our errors.
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 451] },
    throttle: {
      ...(options.pacing ? {} : { write: unpaced(), notifications: unpaced() }),
      onRateLimit: waitIfShort('GitHub rate limit reached', notice),
      onSecondaryRateLimit: waitIfShort('GitHub secondary rate limit', notice),
    },
  });
}

/**
 * The throttling plugin's rate-limit handler: wait out a short limit (and say so), give up on a long or
 * repeated one so the error reaches the user with the time to retry.
 */
function waitIfShort(what: string, notice: (line: string) => void) {
  return (
    retryAfter: number,
    request: { method: string; url: string },
    _octokit: unknown,
    retryCount: number,
  ) => {
    const wait = retryCount < RATE_LIMIT_RETRIES && retryAfter <= LONGEST_RATE_LIMIT_WAIT_S;
    if (wait) notice(`${what} on ${request.method} ${request.url}: retrying in ${retryAfter} s`);
    return wait;
  };
}

interface RequestFailure {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined> };
  request?: { url?: string };
}

/**
 * A GitHub failure as the user should read it: what failed, why (bad token, no permission, rate limit
 * with the time to retry, GitHub down), and what to do. `what` names the request ("upload of x.tar.gz").
 */
export function gitHubFailure(err: unknown, what: string, repo: string): PackagerError {
  if (err instanceof PackagerError) return err;
  const failure = (err ?? {}) as RequestFailure;
  const status = failure.status;
  const headers = failure.response?.headers ?? {};
  const message = failure.message ?? String(err);
  if (status === 401) {
    return new PackagerError(
      'GITHUB_BAD_CREDENTIALS',
      `GitHub refused the token in GITHUB_TOKEN during ${what} (401 ${message})`,
      {
        hint: 'create a token with contents: write on the repository and export it as GITHUB_TOKEN',
        cause: err,
      },
    );
  }
  if ((status === 403 || status === 429) && String(headers['x-ratelimit-remaining']) === '0') {
    const reset = Number(headers['x-ratelimit-reset']);
    const when = Number.isFinite(reset) ? new Date(reset * 1000).toISOString() : 'later';
    return new PackagerError(
      'GITHUB_RATE_LIMITED',
      `GitHub's rate limit is spent (${what}); it resets at ${when}`,
      {
        hint: `run the same command again after ${when}: files already uploaded are skipped`,
        cause: err,
      },
    );
  }
  if ((status === 403 || status === 429) && /secondary rate limit/i.test(message)) {
    const after = headers['retry-after'] ?? 60;
    return new PackagerError('GITHUB_RATE_LIMITED', `GitHub's secondary rate limit stopped ${what}`, {
      hint: `wait ${after} s and run the same command again: files already uploaded are skipped`,
      cause: err,
    });
  }
  if (status === 403) {
    return new PackagerError(
      'GITHUB_NO_PERMISSION',
      `the token may not do ${what} on ${repo} (403 ${message})`,
      {
        hint: `give the token contents: write on ${repo} (classic tokens: the repo scope)`,
        cause: err,
      },
    );
  }
  if (status === 404) {
    return new PackagerError('GITHUB_NOT_FOUND', `${what}: not found on ${repo} (404)`, {
      hint: `check --repo; for a private repository, the token must be able to read ${repo}`,
      cause: err,
    });
  }
  if ((err as { cause?: unknown }).cause instanceof GitHubTimeoutError) {
    return new PackagerError('GITHUB_UNAVAILABLE', `${what} failed after retries: ${message}`, {
      hint: 'run the same command again later: files already uploaded are skipped',
      cause: err,
    });
  }
  // No HTTP answer at all (Octokit calls that a 500): say what happened to the connection instead.
  const network = failure.response === undefined ? networkFailure(err) : undefined;
  if (network !== undefined) {
    const host = hostOf(failure.request?.url);
    return new PackagerError(
      'GITHUB_UNAVAILABLE',
      `${what} failed: cannot reach GitHub${host ? ` at ${host}` : ''} (${network})`,
      {
        hint: 'check the network and --github-api-url / GITHUB_API_URL, then run the same command again: files already uploaded are skipped',
        cause: err,
      },
    );
  }
  const reason =
    status === undefined
      ? message
      : status >= 500
        ? `GitHub answered ${status}${message ? `: ${message}` : ''}`
        : `GitHub answered ${status}: ${message}`;
  return new PackagerError('GITHUB_UNAVAILABLE', `${what} failed after retries: ${reason}`, {
    hint: 'run the same command again later: files already uploaded are skipped',
    cause: err,
  });
}

function hostOf(url: string | undefined): string | undefined {
  try {
    return url === undefined ? undefined : new URL(url).origin;
  } catch {
    return undefined;
  }
}
