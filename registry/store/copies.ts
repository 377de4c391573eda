import type { Queryable } from '../db/port.js';

/**
 * The `published` marker of mirrored copies (migration 0009): a build's copy is published once it is
 * confirmed at its path in the artifact store; its version is served only when all of its copies are.
 */
export async function markCopiesPublished(q: Queryable, versionId: number): Promise<void> {
  await q.query('UPDATE builds SET published = true WHERE version_id = $1 AND NOT published', [versionId]);
}

/**
 * SQL: whether a build of the version `alias` names (a `versions` row in scope) waits for its copy to be
 * published. The version is served only when this is false.
 */
export function copiesPending(alias: string): string {
  return `EXISTS (SELECT 1 FROM builds p WHERE p.version_id = ${alias}.id AND NOT p.published)`;
}

/** One mirrored copy the store should hold, as the database records it. */
export interface RecordedCopy {
  /** `NAMESPACE/NAME`. */
  asset: string;
  tag: string;
  /** `COMMIT/FILE`. */
  mirrorPath: string;
  sha512: string;
  size: number;
  published: boolean;
}

/**
 * Every mirrored copy recorded for current (not removed) versions, one row per path, optionally of one
 * asset (its id, as findAsset found it).
 */
export async function recordedCopies(q: Queryable, assetId?: number): Promise<RecordedCopy[]> {
  const { rows } = await q.query<{
    namespace: string;
    name: string;
    tag: string;
    mirror_path: string;
    sha512: string;
    size: number;
    published: boolean;
  }>(
    `SELECT DISTINCT ON (b.mirror_path, a.id) a.namespace, a.name, v.tag, b.mirror_path, b.sha512,
       b.size::float8 AS size, b.published
     FROM builds b JOIN versions v ON v.id = b.version_id JOIN assets a ON a.id = v.asset_id
     WHERE b.mirror_path IS NOT NULL AND v.commit_sha IS NOT NULL AND v.removed_at IS NULL
       AND ($1::int IS NULL OR a.id = $1)
     ORDER BY b.mirror_path, a.id, v.id`,
    [assetId ?? null],
  );
  return rows.map((r) => ({
    asset: `${r.namespace}/${r.name}`,
    tag: r.tag,
    mirrorPath: r.mirror_path,
    sha512: r.sha512,
    size: r.size,
    published: r.published,
  }));
}

/** The sha512 recorded at ingest for every mirror path any build ever named (removed versions too). */
export async function recordedDigests(q: Queryable): Promise<Map<string, string>> {
  const { rows } = await q.query<{ mirror_path: string; sha512: string }>(
    'SELECT DISTINCT mirror_path, sha512 FROM builds WHERE mirror_path IS NOT NULL',
  );
  return new Map(rows.map((r) => [r.mirror_path, r.sha512]));
}
