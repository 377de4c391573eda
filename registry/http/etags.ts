import { createHash } from 'node:crypto';

/** A strong ETag for a rendered body: computed once at write time and stored beside it. */
export function strongEtag(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
}

/**
 * Whether `If-None-Match` names the current representation (RFC 9110 §13.1.2: weak comparison, so a
 * `W/` prefix from a proxy still matches; `*` matches anything).
 */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}
