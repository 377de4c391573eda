import type { Diagnostic } from '../../bonsai-schema/diagnostics.js';
import type { Queryable } from '../db/port.js';
import { copiesPending } from './copies.js';

/** The outcome of the last ingest attempt of a tag. */
export type AttemptState = 'ingested' | 'failed';

/** One release tag ever seen, with its last good data (served) and its last attempt. */
export interface VersionRecord {
  id: number;
  assetId: number;
  tag: string;
  releaseId: string | null;
  prerelease: boolean;
  tagEtag: string | null;
  tagCommit: string | null;
  attemptState: AttemptState | null;
  attemptFingerprint: string | null;
  attemptCommit: string | null;
  attemptErrors: Diagnostic[];
  attemptWarnings: Diagnostic[];
  attemptedAt: Date | null;
  /** Non-null once an ingest succeeded: the served data's commit. */
  commitSha: string | null;
  fingerprint: string | null;
  annotations: Record<string, string> | null;
  labels: Record<string, string> | null;
  ingestedAt: Date | null;
  removedAt: Date | null;
  createdAt: Date;
  /** Some mirrored copy of its builds is not confirmed in the artifact store yet: it is not served. */
  copiesPending: boolean;
}

interface VersionRow {
  id: number;
  asset_id: number;
  tag: string;
  release_id: string | null;
  prerelease: boolean;
  tag_etag: string | null;
  tag_commit: string | null;
  attempt_state: AttemptState | null;
  attempt_fingerprint: string | null;
  attempt_commit: string | null;
  attempt_errors: Diagnostic[];
  attempt_warnings: Diagnostic[];
  attempted_at: Date | null;
  commit_sha: string | null;
  fingerprint: string | null;
  annotations: Record<string, string> | null;
  labels: Record<string, string> | null;
  ingested_at: Date | null;
  removed_at: Date | null;
  created_at: Date;
  copies_pending: boolean;
}

/** Whether a build of the version (the `versions` row in scope) waits for its copy to be published. */
const COPIES_PENDING = copiesPending('versions');

const COLUMNS = `id, asset_id, tag, release_id, prerelease, tag_etag, tag_commit, attempt_state,
  attempt_fingerprint, attempt_commit, attempt_errors, attempt_warnings, attempted_at, commit_sha, fingerprint,
  annotations, labels, ingested_at, removed_at, created_at, ${COPIES_PENDING} AS copies_pending`;

function toRecord(r: VersionRow): VersionRecord {
  return {
    id: r.id,
    assetId: r.asset_id,
    tag: r.tag,
    releaseId: r.release_id,
    prerelease: r.prerelease,
    tagEtag: r.tag_etag,
    tagCommit: r.tag_commit,
    attemptState: r.attempt_state,
    attemptFingerprint: r.attempt_fingerprint,
    attemptCommit: r.attempt_commit,
    attemptErrors: r.attempt_errors,
    attemptWarnings: r.attempt_warnings,
    attemptedAt: r.attempted_at,
    commitSha: r.commit_sha,
    fingerprint: r.fingerprint,
    annotations: r.annotations,
    labels: r.labels,
    ingestedAt: r.ingested_at,
    removedAt: r.removed_at,
    createdAt: r.created_at,
    copiesPending: r.copies_pending,
  };
}

/** Served: it has good data, every mirrored copy is published, and its release still exists. */
export function isServed(v: Pick<VersionRecord, 'commitSha' | 'removedAt' | 'copiesPending'>): boolean {
  return v.commitSha !== null && v.removedAt === null && !v.copiesPending;
}

export async function listVersions(q: Queryable, assetId: number): Promise<VersionRecord[]> {
  const { rows } = await q.query<VersionRow>(
    `SELECT ${COLUMNS} FROM versions WHERE asset_id = $1 ORDER BY id`,
    [assetId],
  );
  return rows.map(toRecord);
}

/** Records that a release exists for `tag` (creating the row the first time). */
export async function trackRelease(
  q: Queryable,
  assetId: number,
  tag: string,
  release: { releaseId: string; prerelease: boolean },
): Promise<VersionRecord> {
  const { rows } = await q.query<VersionRow>(
    `INSERT INTO versions (asset_id, tag, release_id, prerelease) VALUES ($1, $2, $3, $4)
     ON CONFLICT (asset_id, tag) DO UPDATE SET release_id = excluded.release_id, prerelease = excluded.prerelease
     RETURNING ${COLUMNS}`,
    [assetId, tag, release.releaseId, release.prerelease],
  );
  return toRecord(rows[0]!);
}

export async function saveTagRef(
  q: Queryable,
  id: number,
  etag: string | null,
  commit: string,
): Promise<void> {
  await q.query('UPDATE versions SET tag_etag = $2, tag_commit = $3 WHERE id = $1', [id, etag, commit]);
}

export interface FailedAttempt {
  /** Null when the failure says nothing about the content (the next sync tries the same content again). */
  fingerprint: string | null;
  commit: string | null;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

/** What ends an attempt also ends the version's "being ingested" mark. */
const NOT_INGESTING = 'ingesting_job = NULL, ingesting_fingerprint = NULL, ingesting_commit = NULL';

/** A failed attempt: recorded, while the last good data (if any) stays served. */
export async function recordFailedAttempt(q: Queryable, id: number, attempt: FailedAttempt): Promise<void> {
  await q.query(
    `UPDATE versions SET attempt_state = 'failed', attempt_fingerprint = $2, attempt_commit = $3,
       attempt_errors = $4::json, attempt_warnings = $5::json, attempted_at = now(), ${NOT_INGESTING}
     WHERE id = $1`,
    [
      id,
      attempt.fingerprint,
      attempt.commit,
      JSON.stringify(attempt.errors),
      JSON.stringify(attempt.warnings),
    ],
  );
}

/**
 * Marks the version as being ingested by `jobId` (with the content it is ingesting): if the job ends
 * before the version's outcome is written, `failIngestingVersions` gives it the job's error.
 */
export async function markIngesting(
  q: Queryable,
  id: number,
  ingesting: { jobId: number; fingerprint: string | null; commit: string | null },
): Promise<void> {
  await q.query(
    'UPDATE versions SET ingesting_job = $2, ingesting_fingerprint = $3, ingesting_commit = $4 WHERE id = $1',
    [id, ingesting.jobId, ingesting.fingerprint, ingesting.commit],
  );
}

/** The version's outcome needs no write (unchanged, still failing): it is no longer being ingested. */
export async function clearIngesting(q: Queryable, id: number): Promise<void> {
  await q.query(`UPDATE versions SET ${NOT_INGESTING} WHERE id = $1 AND ingesting_job IS NOT NULL`, [id]);
}

/**
 * The job ended while ingesting these versions: each gets `error` as its failed attempt (the last good
 * data stays served). With `sameContent`, the content being ingested is recorded as failing, so later
 * syncs skip it until it changes or a forced sync (a release that crashes or stalls its process must not
 * be tried again and again). Returns the versions changed, for the ingest log.
 */
export async function failIngestingVersions(
  q: Queryable,
  jobId: number,
  error: Diagnostic,
  sameContent: boolean,
): Promise<{ assetId: number; tag: string; commit: string | null }[]> {
  const { rows } = await q.query<{ asset_id: number; tag: string; commit: string | null }>(
    `UPDATE versions SET attempt_state = 'failed',
       attempt_fingerprint = CASE WHEN $3 THEN ingesting_fingerprint ELSE NULL END,
       attempt_commit = ingesting_commit, attempt_errors = $2::json, attempt_warnings = '[]',
       attempted_at = now(), ${NOT_INGESTING}
     WHERE ingesting_job = $1
     RETURNING asset_id, tag, attempt_commit AS commit`,
    [jobId, JSON.stringify([error]), sameContent],
  );
  return rows.map((r) => ({ assetId: r.asset_id, tag: r.tag, commit: r.commit }));
}

/** A build as verified at ingest, before rendering. */
export interface NewBuild {
  platform: string;
  arch: string;
  assetFilename: string;
  sha512: string;
  filters: string[];
  size: number;
  sourceUrl: string;
  mirrorPath: string | null;
  /** Its mirrored copy is not in the store yet: the version is served once it is (markCopiesPublished). */
  copyPending?: boolean;
}

export interface GoodIngest {
  fingerprint: string;
  commitSha: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  warnings: Diagnostic[];
  builds: NewBuild[];
}

/**
 * Replaces the served data of a version with a successful ingest. Call inside the transaction that also
 * renders the asset, so the new data and its renders appear together.
 */
export async function saveGoodIngest(q: Queryable, id: number, ingest: GoodIngest): Promise<void> {
  await q.query(
    `UPDATE versions SET attempt_state = 'ingested', attempt_fingerprint = $2, attempt_commit = $3,
       attempt_errors = '[]', attempt_warnings = $4::json, attempted_at = now(),
       commit_sha = $3, fingerprint = $2, annotations = $5::json, labels = $6::json, ingested_at = now(),
       removed_at = NULL, body = NULL, etag = NULL, entry = NULL, ${NOT_INGESTING}
     WHERE id = $1`,
    [
      id,
      ingest.fingerprint,
      ingest.commitSha,
      JSON.stringify(ingest.warnings),
      JSON.stringify(ingest.annotations),
      JSON.stringify(ingest.labels),
    ],
  );
  await q.query('DELETE FROM builds WHERE version_id = $1', [id]);
  for (const [position, b] of ingest.builds.entries()) {
    await q.query(
      `INSERT INTO builds (version_id, position, platform, arch, asset_filename, sha512, filters, size, source_url,
         mirror_path, published)
       VALUES ($1, $2, $3, $4, $5, $6, $7::json, $8, $9, $10, $11)`,
      [
        id,
        position,
        b.platform,
        b.arch,
        b.assetFilename,
        b.sha512,
        JSON.stringify(b.filters),
        b.size,
        b.sourceUrl,
        b.mirrorPath,
        b.copyPending !== true,
      ],
    );
  }
}

/**
 * The version's served data is dropped (its signature no longer verifies): it leaves the API, its
 * attempt stays recorded as failed, and a later good ingest serves it again.
 */
export async function withdrawVersion(q: Queryable, id: number): Promise<void> {
  // The definition routes read the stored render: it goes too (a good ingest renders it again). Its
  // entry leaves the asset object at the render in the same transaction (dropUnservedEntries).
  await q.query('UPDATE versions SET commit_sha = NULL, body = NULL, etag = NULL WHERE id = $1', [id]);
}

/** The release is gone from GitHub: the version leaves the API but stays in the store. */
export async function markRemoved(q: Queryable, id: number): Promise<void> {
  // Its entry leaves the asset object at the render in the same transaction (dropUnservedEntries); a
  // restore renders it again.
  await q.query('UPDATE versions SET removed_at = now() WHERE id = $1 AND removed_at IS NULL', [id]);
}

/** The release is back with the same content: serve the stored data again. */
export async function markRestored(q: Queryable, id: number): Promise<void> {
  await q.query(`UPDATE versions SET removed_at = NULL, ${NOT_INGESTING} WHERE id = $1`, [id]);
}

export interface StoredBuild {
  id: number;
  platform: string;
  arch: string;
  assetFilename: string;
  sha512: string;
  filters: string[];
  size: number;
  sourceUrl: string;
  mirrorPath: string | null;
  etag: string | null;
  yamlEtag: string | null;
}

export interface ServedVersion {
  version: VersionRecord;
  etag: string | null;
  /** Its entry of the asset object as last rendered (ingest/render.ts); null: none yet. */
  entry: string | null;
  builds: StoredBuild[];
}

/** A version is served: good data, its release still exists, every mirrored copy published. */
const SERVED = (v: string) =>
  `${v}.commit_sha IS NOT NULL AND ${v}.removed_at IS NULL AND NOT ${copiesPending(v)}`;

/**
 * What a render of `unrendered` versions reads: those without a stored render or asset-object entry (just
 * ingested, published, restored, or rendered before entries were stored).
 */
const UNRENDERED = (v: string) => `(${v}.etag IS NULL OR ${v}.entry IS NULL)`;

/**
 * Served versions of an asset with their builds in bonsai.yml order (what a render needs): every one, or
 * with `only: 'unrendered'` those a render of the changes must render (the others' rows are not read).
 */
export async function loadServedVersions(
  q: Queryable,
  assetId: number,
  only?: 'unrendered',
): Promise<ServedVersion[]> {
  const extra = (v: string) => (only === 'unrendered' ? ` AND ${UNRENDERED(v)}` : '');
  const versions = await q.query<VersionRow & { etag: string | null; entry: string | null }>(
    `SELECT ${COLUMNS}, etag, entry FROM versions
     WHERE asset_id = $1 AND ${SERVED('versions')}${extra('versions')} ORDER BY id`,
    [assetId],
  );
  if (versions.rows.length === 0) return [];
  const builds = await q.query<{
    id: number;
    version_id: number;
    platform: string;
    arch: string;
    asset_filename: string;
    sha512: string;
    filters: string[];
    size: number;
    source_url: string;
    mirror_path: string | null;
    etag: string | null;
    yaml_etag: string | null;
  }>(
    `SELECT b.id, b.version_id, b.platform, b.arch, b.asset_filename, b.sha512, b.filters, b.size::float8 AS size,
       b.source_url, b.mirror_path, b.etag, b.yaml_etag
     FROM builds b JOIN versions v ON v.id = b.version_id
     WHERE v.asset_id = $1 AND ${SERVED('v')}${extra('v')}
     ORDER BY b.version_id, b.position`,
    [assetId],
  );
  const byVersion = new Map<number, StoredBuild[]>();
  for (const b of builds.rows) {
    const list = byVersion.get(b.version_id) ?? [];
    list.push({
      id: b.id,
      platform: b.platform,
      arch: b.arch,
      assetFilename: b.asset_filename,
      sha512: b.sha512,
      filters: b.filters,
      size: b.size,
      sourceUrl: b.source_url,
      mirrorPath: b.mirror_path,
      etag: b.etag,
      yamlEtag: b.yaml_etag,
    });
    byVersion.set(b.version_id, list);
  }
  return versions.rows.map((row) => ({
    version: toRecord(row),
    etag: row.etag,
    entry: row.entry,
    builds: byVersion.get(row.id) ?? [],
  }));
}

/**
 * Versions no longer served leave the asset object: their entries go, and only their rows are written.
 * `'left'`: the versions removed or withdrawn since the last render, found by an index (migration 0013)
 * without reading the asset's other versions (a render of the changes); `'all'`: every version not served,
 * waiting for copies included (a full render). Returns how many entries went.
 */
export async function dropUnservedEntries(
  q: Queryable,
  assetId: number,
  which: 'left' | 'all',
): Promise<number> {
  // A version waiting for copies has no entry (saveGoodIngest clears it): 'left' need not look for those.
  const unserved =
    which === 'left' ? '(removed_at IS NOT NULL OR commit_sha IS NULL)' : `NOT (${SERVED('versions')})`;
  const { rowCount } = await q.query(
    `UPDATE versions SET entry = NULL WHERE asset_id = $1 AND entry IS NOT NULL AND ${unserved}`,
    [assetId],
  );
  return rowCount;
}

/**
 * The tags whose entries make up the asset object (ingest/render.ts), in version-row order (go-version
 * order keeps it for equal versions).
 */
export async function entryTags(q: Queryable, assetId: number): Promise<string[]> {
  const { rows } = await q.query<{ tag: string }>(
    'SELECT tag FROM versions WHERE asset_id = $1 AND entry IS NOT NULL ORDER BY id',
    [assetId],
  );
  return rows.map((r) => r.tag);
}

export interface Rendered {
  body: string;
  etag: string;
}

/** A version's multi-build definition, and its entry of the API asset object (ingest/render.ts). */
export async function saveVersionRender(
  q: Queryable,
  id: number,
  r: Rendered,
  entry: string | null = null,
): Promise<void> {
  await q.query('UPDATE versions SET body = $2, etag = $3, entry = $4 WHERE id = $1', [
    id,
    r.body,
    r.etag,
    entry,
  ]);
}

export async function saveBuildRender(
  q: Queryable,
  id: number,
  json: Rendered,
  yaml: Rendered,
): Promise<void> {
  await q.query('UPDATE builds SET body = $2, etag = $3, yaml = $4, yaml_etag = $5 WHERE id = $1', [
    id,
    json.body,
    json.etag,
    yaml.body,
    yaml.etag,
  ]);
}

/** The tags the API serves for an asset (any order; the caller sorts by version). */
export async function servedTags(q: Queryable, assetId: number): Promise<string[]> {
  const { rows } = await q.query<{ tag: string }>(
    'SELECT tag FROM versions WHERE asset_id = $1 AND body IS NOT NULL AND removed_at IS NULL',
    [assetId],
  );
  return rows.map((r) => r.tag);
}

export async function versionDefinition(
  q: Queryable,
  assetId: number,
  tag: string,
): Promise<Rendered | undefined> {
  const { rows } = await q.query<Rendered>(
    'SELECT body, etag FROM versions WHERE asset_id = $1 AND tag = $2 AND body IS NOT NULL AND removed_at IS NULL',
    [assetId, tag],
  );
  return rows[0];
}

export interface BuildDefinition {
  json: Rendered;
  yaml: Rendered;
}

/** A build's renders; platform and arch match exactly first, else case-insensitively. */
export async function buildDefinition(
  q: Queryable,
  assetId: number,
  tag: string,
  platform: string,
  arch: string,
): Promise<BuildDefinition | undefined> {
  const { rows } = await q.query<{ body: string; etag: string; yaml: string; yaml_etag: string }>(
    `SELECT b.body, b.etag, b.yaml, b.yaml_etag FROM builds b JOIN versions v ON v.id = b.version_id
     WHERE v.asset_id = $1 AND v.tag = $2 AND v.body IS NOT NULL AND v.removed_at IS NULL
       AND lower(b.platform) = lower($3) AND lower(b.arch) = lower($4)
     ORDER BY (b.platform = $3 AND b.arch = $4) DESC LIMIT 1`,
    [assetId, tag, platform, arch],
  );
  const r = rows[0];
  return r && { json: { body: r.body, etag: r.etag }, yaml: { body: r.yaml, etag: r.yaml_etag } };
}
