import type { Queryable } from '../db/port.js';

/** What the web pages show of a version besides its builds (migration 0006). */
export interface VersionDocs {
  readmeFile: string | null;
  /** Null when there is none, or it was too large to keep (then readmeFile still names it). */
  readme: string | null;
  releaseNotes: string | null;
}

/** Written in the transaction of a good ingest, beside the version's served data. */
export async function saveVersionDocs(q: Queryable, versionId: number, docs: VersionDocs): Promise<void> {
  await q.query('UPDATE versions SET readme_file = $2, readme = $3, release_notes = $4 WHERE id = $1', [
    versionId,
    docs.readmeFile,
    docs.readme,
    docs.releaseNotes,
  ]);
}

/** One version's docs; undefined when the tag is unknown. */
export async function loadVersionDocs(
  q: Queryable,
  assetId: number,
  tag: string,
): Promise<VersionDocs | undefined> {
  const { rows } = await q.query<{
    tag: string;
    readme_file: string | null;
    readme: string | null;
    release_notes: string | null;
  }>('SELECT tag, readme_file, readme, release_notes FROM versions WHERE asset_id = $1 AND tag = $2', [
    assetId,
    tag,
  ]);
  const r = rows[0];
  return r && { readmeFile: r.readme_file, readme: r.readme, releaseNotes: r.release_notes };
}
