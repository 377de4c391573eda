import { createHash, randomBytes } from 'node:crypto';
import { RegistryError } from './errors.js';

/**
 * Scoped API tokens: `admin` (register repositories, manage tokens, trigger any sync), `sync:NS/*` and
 * `sync:NS/NAME` (Bonsai's CI trigger for those assets). Tokens are random, shown once, and stored as
 * their SHA-256 (they carry 256 bits, so a fast hash is enough: nothing to brute-force).
 */
export const TOKEN_PREFIX = 'bnsr_';

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const NAME_PART = '[A-Za-z0-9][A-Za-z0-9_.-]{0,99}';
const SCOPE = new RegExp(`^(admin|sync:${NAME_PART}/(\\*|${NAME_PART}))$`);

const SCOPE_HINT = 'scopes are admin, sync:NAMESPACE/* or sync:NAMESPACE/NAME (for example sync:acme/*)';

export function parseScopes(given: readonly string[]): string[] {
  if (given.length === 0)
    throw new RegistryError('INVALID_DATA', 'a token needs at least one --scope', { hint: SCOPE_HINT });
  for (const scope of given) {
    if (!SCOPE.test(scope))
      throw new RegistryError('INVALID_DATA', `unknown token scope ${JSON.stringify(scope)}`, {
        hint: SCOPE_HINT,
      });
  }
  return [...new Set(given)];
}

/** The scope an action needs: `admin`, or `sync:NS/NAME` for one asset's CI trigger. */
export function syncScope(namespace: string, name: string): string {
  return `sync:${namespace}/${name}`;
}

/** Whether `scopes` grant `needed`; names compare without case, as asset URLs do. */
export function scopesAllow(scopes: readonly string[], needed: string): boolean {
  const want = needed.toLowerCase();
  return scopes.some((s) => {
    const scope = s.toLowerCase();
    if (scope === 'admin' || scope === want) return true;
    return scope.endsWith('/*') && want.startsWith('sync:') && want.startsWith(scope.slice(0, -1));
  });
}

const UNITS: Record<string, number> = { m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/** `--expires 90d` (also m, h, w, y): the expiry date from `now`. */
export function parseExpiry(text: string, now = new Date()): Date {
  const match = /^(\d{1,6})([mhdwy])$/.exec(text.trim());
  if (!match || Number(match[1]) === 0) {
    throw new RegistryError('INVALID_DATA', `--expires ${JSON.stringify(text)} is not a duration`, {
      hint: 'give a number and a unit: 30m, 12h, 90d, 8w or 1y',
    });
  }
  return new Date(now.getTime() + Number(match[1]) * UNITS[match[2]!]! * 1000);
}
