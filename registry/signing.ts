import { createHash } from 'node:crypto';
import {
  formatPublicKey,
  keyIdHex,
  MinisignFormatError,
  parsePublicKey,
  type PublicKey,
} from '../bonsai-schema/index.js';
import type { Db, Queryable } from './db/port.js';
import { RegistryError } from './errors.js';
import type { SyncPayload } from './jobs/queue.js';
import { allAssets } from './store/assets.js';
import { recordAudit } from './store/audit.js';
import { insertKey, listKeys, revokeKey, type NamespaceKey } from './store/keys.js';

/** GitHub's rule for owner names: a namespace is an owner. */
const NAMESPACE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

export function parseNamespace(text: string): string {
  const ns = text.trim();
  if (!NAMESPACE.test(ns)) {
    throw new RegistryError(
      'INVALID_DATA',
      `${JSON.stringify(text)} is not a namespace (a GitHub owner name)`,
      {
        hint: 'e.g. sensu (the OWNER of OWNER/NAME)',
      },
    );
  }
  return ns;
}

/** What a sync of one namespace's assets checks signatures against. */
export interface SignaturePolicy {
  /** Keys not revoked. */
  keys: PublicKey[];
  /** Revoked key ids, to say why a signature by one is refused. */
  revoked: string[];
  /** Signatures are required (the namespace has keys, or REQUIRE_SIGNATURES). */
  required: boolean;
  /** Changes whenever the outcome of a signature check could: part of each release's fingerprint. */
  fingerprint: string | undefined;
}

export async function signaturePolicy(
  q: Queryable,
  namespace: string,
  requireAll: boolean,
): Promise<SignaturePolicy> {
  const rows = await listKeys(q, namespace);
  const active = rows.filter((k) => k.revokedAt === null);
  const required = requireAll || rows.length > 0;
  return {
    keys: active.map((k) => parsePublicKey(k.publicKey)),
    revoked: rows.filter((k) => k.revokedAt !== null).map((k) => k.keyId),
    required,
    // Undefined when nothing is required: fingerprints of unsigned namespaces stay what they were.
    fingerprint: required
      ? createHash('sha256')
          .update(JSON.stringify([requireAll, active.map((k) => k.keyId).sort()]))
          .digest('hex')
      : undefined,
  };
}

/** A public key from the text of a .pub file (or its bare key line). */
export function parseKeyText(text: string): PublicKey {
  try {
    return parsePublicKey(text);
  } catch (err) {
    if (!(err instanceof MinisignFormatError)) throw err;
    throw new RegistryError('KEY_INVALID', `not a minisign public key: ${err.message}`);
  }
}

export interface KeyChange {
  key: NamespaceKey;
  created: boolean;
  /** Sync jobs queued so every version of the namespace is judged again. */
  jobs: number[];
}

type Enqueue = (q: Queryable, assetId: number, payload: SyncPayload) => Promise<{ id: number }>;

/** Who asked (the audit log's actor) and under which request. */
export interface KeyChangeBy {
  actor: string;
  requestId?: string | undefined;
}

/** The namespace's assets are synced again: a key change can make versions pass or fail. */
async function resyncNamespace(
  tx: Queryable,
  namespace: string,
  enqueue: Enqueue,
  trigger: string,
): Promise<number[]> {
  const jobs: number[] = [];
  for (const asset of await allAssets(tx)) {
    if (asset.namespace.toLowerCase() !== namespace.toLowerCase()) continue;
    jobs.push((await enqueue(tx, asset.id, { force: false, conditional: false, trigger })).id);
  }
  return jobs;
}

/** Registers a key for a namespace (idempotent); a revoked key id can never come back. */
export async function addNamespaceKey(
  db: Db,
  namespace: string,
  key: PublicKey,
  enqueue: Enqueue,
  by: KeyChangeBy,
): Promise<KeyChange> {
  const keyId = keyIdHex(key.keyId);
  const line = formatPublicKey(key).split('\n')[1]!;
  return db.transaction(async (tx) => {
    const created = await insertKey(tx, namespace, keyId, line);
    const stored = (await listKeys(tx, namespace)).find((k) => k.keyId === keyId)!;
    if (stored.publicKey !== line) {
      throw new RegistryError('KEY_INVALID', `${namespace} has another key with the id ${keyId}`, {
        hint: 'make a new key pair (bonsai keygen): key ids are random, a clash means a forged key',
      });
    }
    if (stored.revokedAt !== null) {
      throw new RegistryError(
        'KEY_REVOKED',
        `key ${keyId} of ${namespace} was revoked on ${stored.revokedAt.toISOString()}`,
      );
    }
    if (!created) return { key: stored, created, jobs: [] };
    const jobs = await resyncNamespace(tx, namespace, enqueue, 'key-add');
    await recordAudit(tx, {
      actor: by.actor,
      action: 'key.add',
      target: `${namespace}/${keyId}`,
      requestId: by.requestId,
      detail: { jobs },
    });
    return { key: stored, created, jobs };
  });
}

/** Revokes a key: versions signed only by it fail at their next ingest (queued now). */
export async function revokeNamespaceKey(
  db: Db,
  namespace: string,
  keyId: string,
  enqueue: Enqueue,
  by: KeyChangeBy,
): Promise<KeyChange> {
  const id = keyId.trim().toUpperCase();
  return db.transaction(async (tx) => {
    const before = (await listKeys(tx, namespace)).find((k) => k.keyId === id);
    if (!before || !(await revokeKey(tx, namespace, id))) {
      throw new RegistryError('NOT_FOUND', `${namespace} has no key ${id}`, {
        hint: `bonsai registry key list ${namespace} shows its keys`,
      });
    }
    const after = (await listKeys(tx, namespace)).find((k) => k.keyId === id)!;
    const changed = before.revokedAt === null;
    if (!changed) return { key: after, created: false, jobs: [] };
    const jobs = await resyncNamespace(tx, namespace, enqueue, 'key-revoke');
    await recordAudit(tx, {
      actor: by.actor,
      action: 'key.revoke',
      target: `${namespace}/${id}`,
      requestId: by.requestId,
      detail: { jobs },
    });
    return { key: after, created: false, jobs };
  });
}

/** The JSON shape of a key (CLI --json and the HTTP routes). */
export function keyJson(key: NamespaceKey) {
  return {
    namespace: key.namespace,
    key_id: key.keyId,
    public_key: key.publicKey,
    created_at: key.createdAt.toISOString(),
    revoked_at: key.revokedAt?.toISOString() ?? null,
  };
}
