import {
  GitHubTimeoutError,
  idleTimeoutDownload,
  idleTimeoutFetch,
} from '../../common/idle-timeout-fetch.js';

// GitHub sent nothing for GITHUB_TIMEOUT: the request is abandoned (its job retries with backoff).
const timedOut = (ms: number) => new GitHubTimeoutError(ms, 'GITHUB_TIMEOUT');

/** `fetch` for Octokit (its `request.fetch`), abandoned when GitHub stays silent for `ms`. */
export const fetchWithTimeout = (ms: number): typeof fetch => idleTimeoutFetch(ms, timedOut);

/**
 * A download that is abandoned when GitHub stays silent for `ms`: no response headers in that time, or
 * no chunk of the body while it is read. `body` is the response's body, watched; read or cancel it.
 */
export const fetchWatched = (url: string | URL, init: RequestInit, ms: number) =>
  idleTimeoutDownload(url, init, ms, timedOut);
