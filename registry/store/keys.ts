import type { Queryable } from '../db/port.js';

/** A namespace's signing key (minisign public key). */
export interface NamespaceKey {
  namespace: string;
  keyId: string;
  /** The base64 key line. */
  publicKey: string;
  createdAt: Date;
  revokedAt: Date | null;
}

interface KeyRow {
  namespace: string;
  key_id: string;
  public_key: string;
  created_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = 'namespace, key_id, public_key, created_at, revoked_at';

const toKey = (r: KeyRow): NamespaceKey => ({
  namespace: r.namespace,
  keyId: r.key_id,
  publicKey: r.public_key,
  createdAt: new Date(r.created_at),
  revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
});

/** The keys of one namespace (case-insensitive, as GitHub owners are), or of every namespace. */
export async function listKeys(q: Queryable, namespace?: string): Promise<NamespaceKey[]> {
  const { rows } =
    namespace === undefined
      ? await q.query<KeyRow>(
          `SELECT ${COLUMNS} FROM namespace_keys ORDER BY lower(namespace), created_at, id`,
        )
      : await q.query<KeyRow>(
          `SELECT ${COLUMNS} FROM namespace_keys WHERE lower(namespace) = lower($1) ORDER BY created_at, id`,
          [namespace],
        );
  return rows.map(toKey);
}

/** Adds a key; returns false when the namespace holds that key id already (active or revoked). */
export async function insertKey(
  q: Queryable,
  namespace: string,
  keyId: string,
  publicKey: string,
): Promise<boolean> {
  const { rowCount } = await q.query(
    `INSERT INTO namespace_keys (namespace, key_id, public_key) VALUES ($1, $2, $3)
     ON CONFLICT (lower(namespace), key_id) DO NOTHING`,
    [namespace, keyId, publicKey],
  );
  return rowCount > 0;
}

/** Marks a key revoked (once: the first revocation time stays); false when the namespace has no such key. */
export async function revokeKey(q: Queryable, namespace: string, keyId: string): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE namespace_keys SET revoked_at = COALESCE(revoked_at, now())
     WHERE lower(namespace) = lower($1) AND key_id = $2`,
    [namespace, keyId],
  );
  return rowCount > 0;
}
