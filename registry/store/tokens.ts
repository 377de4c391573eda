import type { Queryable } from '../db/port.js';
import { isUniqueViolation } from '../db/sql-errors.js';
import { RegistryError } from '../errors.js';

export interface TokenRecord {
  id: number;
  name: string;
  tokenHash: string;
  scopes: string[];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface TokenRow {
  id: number;
  name: string;
  token_hash: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = 'id, name, token_hash, scopes, created_at, expires_at, last_used_at, revoked_at';

function toRecord(r: TokenRow): TokenRecord {
  return {
    id: r.id,
    name: r.name,
    tokenHash: r.token_hash,
    scopes: r.scopes,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

export async function insertToken(
  q: Queryable,
  token: { name: string; tokenHash: string; scopes: string[]; expiresAt: Date | null },
): Promise<TokenRecord> {
  try {
    const { rows } = await q.query<TokenRow>(
      `INSERT INTO api_tokens (name, token_hash, scopes, expires_at) VALUES ($1, $2, $3::json, $4)
       RETURNING ${COLUMNS}`,
      [token.name, token.tokenHash, JSON.stringify(token.scopes), token.expiresAt],
    );
    return toRecord(rows[0]!);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw new RegistryError('TOKEN_EXISTS', `a token named ${token.name} exists already`, { cause: err });
  }
}

export async function findTokenByHash(q: Queryable, tokenHash: string): Promise<TokenRecord | undefined> {
  const { rows } = await q.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = $1`, [
    tokenHash,
  ]);
  return rows[0] && toRecord(rows[0]);
}

/** Live tokens first (newest first), then revoked ones. */
export async function listTokens(q: Queryable): Promise<TokenRecord[]> {
  const { rows } = await q.query<TokenRow>(
    `SELECT ${COLUMNS} FROM api_tokens ORDER BY revoked_at IS NOT NULL, id DESC`,
  );
  return rows.map(toRecord);
}

/** Revokes the live token `name`; undefined when there is none. */
export async function revokeToken(q: Queryable, name: string): Promise<TokenRecord | undefined> {
  const { rows } = await q.query<TokenRow>(
    `UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
    [name],
  );
  return rows[0] && toRecord(rows[0]);
}

/** Notes a use, at most once a minute per token (a burst of CI calls is one write). */
export async function touchToken(q: Queryable, id: number): Promise<void> {
  await q.query(
    `UPDATE api_tokens SET last_used_at = now()
     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
    [id],
  );
}
