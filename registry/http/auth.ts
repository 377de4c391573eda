import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { Db } from '../db/port.js';
import { RegistryError } from '../errors.js';
import { findTokenByHash, touchToken } from '../store/tokens.js';
import { hashToken, scopesAllow } from '../tokens.js';

export function sameSecret(a: string, b: string): boolean {
  // Hashing first gives equal lengths, so the comparison time says nothing about the token.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** The token of an `Authorization: Bearer TOKEN` (or `token TOKEN`) header, if any. */
export function bearerToken(ctx: Context): string | undefined {
  const match = /^(?:Bearer|token)\s+(.+)$/i.exec(ctx.get('Authorization'));
  return match ? match[1]!.trim() : undefined;
}

/** Who made an authorized request, as the audit log names them (never the token itself). */
export interface Actor {
  name: string;
}

const CREATE_HINT =
  'send ADMIN_TOKEN or a token made with bonsai registry token create as "Authorization: Bearer TOKEN"';

/**
 * Admin routes and the CI trigger: `ADMIN_TOKEN` (a bootstrap admin) or an API token whose scopes grant
 * `needed` (`admin`, `sync:NS/NAME`). 401 for no, unknown, revoked or expired tokens; 403 for a valid
 * token without the scope. Tokens are looked up by their hash and compared in constant time.
 */
export async function authorize(
  ctx: Context,
  auth: { db: Db; adminToken: string | undefined; localToken?: string | undefined },
  needed: string,
): Promise<Actor> {
  const token = bearerToken(ctx);
  if (token === undefined) {
    throw new RegistryError(
      'UNAUTHORIZED',
      'missing "Authorization: Bearer TOKEN" header (the registry ADMIN_TOKEN or an API token)',
      { hint: CREATE_HINT },
    );
  }
  if (auth.adminToken !== undefined && sameSecret(token, auth.adminToken)) return { name: 'ADMIN_TOKEN' };
  if (auth.localToken !== undefined && sameSecret(token, auth.localToken)) {
    // The CLI on this machine (DATA_DIR/serve.json): it names its user.
    const who = ctx.get('X-Bonsai-Actor');
    return { name: /^cli:[\w.@-]{1,64}$/.test(who) ? who : 'cli' };
  }
  const hash = hashToken(token);
  const record = await findTokenByHash(auth.db, hash);
  if (!record || !sameSecret(record.tokenHash, hash)) {
    throw new RegistryError(
      'UNAUTHORIZED',
      auth.adminToken === undefined
        ? "the token in the Authorization header is not one of this registry's API tokens (and no ADMIN_TOKEN is set)"
        : "the token in the Authorization header is neither this registry's ADMIN_TOKEN nor one of its API tokens",
      { hint: CREATE_HINT },
    );
  }
  if (record.revokedAt) {
    throw new RegistryError('UNAUTHORIZED', `token ${record.name} was revoked`, {
      hint: 'create a new one: bonsai registry token create',
    });
  }
  if (record.expiresAt && record.expiresAt.getTime() <= Date.now()) {
    throw new RegistryError(
      'UNAUTHORIZED',
      `token ${record.name} expired at ${record.expiresAt.toISOString()}`,
      { hint: 'create a new one: bonsai registry token create --expires ...' },
    );
  }
  if (!scopesAllow(record.scopes, needed)) {
    throw new RegistryError(
      'FORBIDDEN',
      `token ${record.name} (scopes ${record.scopes.join(', ')}) may not do this: it needs scope ${needed}`,
    );
  }
  await touchToken(auth.db, record.id);
  return { name: `token:${record.name}` };
}
