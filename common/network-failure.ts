import { GitHubTimeoutError } from './idle-timeout-fetch.js';

/**
 * The one way every verb names a connection that failed before any HTTP answer: `connection refused`,
 * `host not found`, `timed out`, ... Undefined when `err` carries no such failure (an HTTP status, say),
 * so callers never invent a status: Octokit reports these failures as status 500.
 */
export function networkFailure(err: unknown): string | undefined {
  for (const cause of causes(err)) {
    const code = (cause as { code?: unknown }).code;
    const name = (cause as { name?: unknown }).name;
    if (typeof code === 'string' && code in REASONS) return REASONS[code];
    if (name === 'TimeoutError' || cause instanceof GitHubTimeoutError) return 'timed out';
  }
  return undefined;
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  // The resolver could not be asked (no DNS server reachable): the host is not found either way.
  EAI_AGAIN: 'host not found',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out',
  UND_ERR_HEADERS_TIMEOUT: 'timed out',
  UND_ERR_BODY_TIMEOUT: 'timed out',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection reset',
  EPIPE: 'connection reset',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'network unreachable',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate for another host',
};

/** `err`, its `cause` chain and the errors of an AggregateError (several addresses tried), bounded. */
function causes(err: unknown): unknown[] {
  const seen: unknown[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && seen.length < 20) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null || seen.includes(next)) continue;
    seen.push(next);
    queue.push((next as { cause?: unknown }).cause);
    const errors = (next as { errors?: unknown }).errors;
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return seen;
}
