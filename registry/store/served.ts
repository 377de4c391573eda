import { otherSpelling, resolveVersion } from '../../bonsai-schema/index.js';
import type { Queryable } from '../db/port.js';

/**
 * The stored renders of the definition routes, each found by one indexed query (assets by lower-case
 * key, versions by asset, builds by version): a cache miss costs one round trip to the database. The
 * query returns every served tag of the asset (so `latest` and the other `v` spelling resolve exactly as
 * `resolveVersion` does) and the renders of the tags the request can name, with the base URLs the asset's
 * renders embed (a read of renders made with other URLs renders the asset again first: http/fresh.ts).
 */

export interface ServedRender {
  assetId: number;
  namespace: string;
  name: string;
  tag: string;
  body: string;
  etag: string;
  /** The base URLs the asset's renders embed (ingest/render.ts renderFingerprint). */
  renderedWith: string | null;
}

/**
 * The versions a request can name: its two spellings (`$3`, `$4`), or for `latest` every served
 * version (the one query then carries each served tag, and the renders of all of them).
 */
function wanted(namespace: string, name: string, requested: string) {
  const latest = requested === 'latest';
  return {
    params: [namespace, name, requested, otherSpelling(requested) ?? requested],
    // For `latest`, $3 and $4 only keep the parameters numbered alike: every served version qualifies.
    where: `WHERE lower(a.namespace) = lower($1) AND lower(a.name) = lower($2) AND ${latest ? '$3::text IS NOT NULL AND $4::text IS NOT NULL' : 'v.tag IN ($3, $4)'}`,
  };
}

const SERVED_VERSIONS = `FROM assets a JOIN versions v ON v.asset_id = a.id AND v.body IS NOT NULL AND v.removed_at IS NULL`;

interface Row {
  asset_id: number;
  namespace: string;
  name: string;
  tag: string;
  body: string | null;
  etag: string | null;
  rendered_with: string | null;
}

function resolvedRows<R extends Row>(rows: R[], requested: string): R[] {
  const tag = resolveVersion(requested, [...new Set(rows.map((r) => r.tag))]);
  return tag === undefined ? [] : rows.filter((r) => r.tag === tag && r.body !== null);
}

function served(r: Row, body: string, etag: string): ServedRender {
  return {
    assetId: r.asset_id,
    namespace: r.namespace,
    name: r.name,
    tag: r.tag,
    body,
    etag,
    renderedWith: r.rendered_with,
  };
}

/** A version's definition (release_asset_builds); undefined when the asset or version is not served. */
export async function servedVersion(
  q: Queryable,
  namespace: string,
  name: string,
  requested: string,
): Promise<ServedRender | undefined> {
  const { params, where } = wanted(namespace, name, requested);
  const { rows } = await q.query<Row>(
    `SELECT a.id AS asset_id, a.namespace, a.name, a.rendered_with, v.tag, v.body, v.etag ${SERVED_VERSIONS} ${where}`,
    params,
  );
  const [r] = resolvedRows(rows, requested);
  return r && served(r, r.body!, r.etag!);
}

export interface ServedBuild {
  assetId: number;
  renderedWith: string | null;
  json: ServedRender;
  yaml: ServedRender;
}

/** One build's renders; platform and arch match exactly first, else case-insensitively. */
export async function servedBuild(
  q: Queryable,
  namespace: string,
  name: string,
  requested: string,
  platform: string,
  arch: string,
): Promise<ServedBuild | undefined> {
  const { params, where } = wanted(namespace, name, requested);
  // LEFT JOIN: a named version without the build is still the answer (a 404), not the other spelling.
  const { rows } = await q.query<Row & { yaml: string | null; yaml_etag: string | null; exact: boolean }>(
    `SELECT a.id AS asset_id, a.namespace, a.name, a.rendered_with, v.tag, b.body, b.etag, b.yaml, b.yaml_etag,
       (b.platform = $5 AND b.arch = $6) AS exact
     ${SERVED_VERSIONS}
     LEFT JOIN builds b ON b.version_id = v.id AND lower(b.platform) = lower($5) AND lower(b.arch) = lower($6)
     ${where}`,
    [...params, platform, arch],
  );
  const found = resolvedRows(rows, requested);
  const r = found.find((row) => row.exact) ?? found[0];
  return (
    r && {
      assetId: r.asset_id,
      renderedWith: r.rendered_with,
      json: served(r, r.body!, r.etag!),
      yaml: served(r, r.yaml!, r.yaml_etag!),
    }
  );
}
