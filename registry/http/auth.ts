import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { RegistryError } from '../errors.js';

export function sameSecret(a: string, b: string): boolean {
  // Hashing first gives equal lengths, so the comparison time says nothing about the token.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** The token of an `Authorization: Bearer TOKEN` (or `token TOKEN`) header, if any. */
export function bearerToken(ctx: Context): string | undefined {
  const match = /^(?:Bearer|token)\s+(.+)$/i.exec(ctx.get('Authorization'));
  return match ? match[1]!.trim() : undefined;
}

/** Admin routes (repository registration, the CI trigger) need `Authorization: Bearer ADMIN_TOKEN`. */
export function requireAdmin(ctx: Context, adminToken: string | undefined): void {
  if (!adminToken) {
    throw new RegistryError(
      'UNAUTHORIZED',
      'this registry has no ADMIN_TOKEN set, so admin requests are refused',
      {
        hint: 'set ADMIN_TOKEN on the registry and send it as "Authorization: Bearer TOKEN"',
      },
    );
  }
  const header = ctx.get('Authorization');
  const match = /^(?:Bearer|token)\s+(.+)$/i.exec(header);
  if (!match) {
    throw new RegistryError(
      'UNAUTHORIZED',
      'missing "Authorization: Bearer TOKEN" header (the registry ADMIN_TOKEN)',
    );
  }
  if (!sameSecret(match[1]!.trim(), adminToken)) {
    throw new RegistryError(
      'UNAUTHORIZED',
      "the token in the Authorization header is not this registry's ADMIN_TOKEN",
    );
  }
}
