import { resolveVersion, type ApiAsset } from '../../bonsai-schema/index.js';
import type { Queryable } from '../db/port.js';
import { searchTerms, staleIds, type AssetOrder } from '../store/assets.js';

/** The reads the web pages make beyond the API's: filters across builds, facets, counts. */

export interface ListFilters {
  search: string;
  tiers: string[];
  platforms: string[];
  archs: string[];
  tags: string[];
  order: AssetOrder;
  /** 1-based. */
  page: number;
}

export interface ListedAsset {
  namespace: string;
  name: string;
  description: string;
  tier: string;
  tags: string[];
  updatedAt: Date;
  downloads: number;
  /** What `latest` resolves to (the highest release, else the highest pre-release). */
  latest: string | undefined;
}

export const PER_PAGE = 20;

const ORDER_BY: Record<AssetOrder, string> = {
  name: 'lower(namespace), lower(name)',
  recently_updated: 'updated_at DESC, lower(namespace), lower(name)',
  recently_added: 'created_at DESC, lower(namespace), lower(name)',
  most_downloaded: 'downloads DESC, lower(namespace), lower(name)',
};

/** Builds of a served version of asset `a`. */
const SERVED_BUILDS = `SELECT 1 FROM builds b JOIN versions v ON v.id = b.version_id
  WHERE v.asset_id = a.id AND v.body IS NOT NULL AND v.removed_at IS NULL`;

const anyOf = (column: string, param: string) =>
  `lower(${column}) IN (SELECT lower(x) FROM json_array_elements_text(${param}::json) AS x)`;

/**
 * One page of the web list. Given the current base URLs' `fingerprint`, also the ids of the page's assets
 * whose stored object is stale (`stale`, as store/assets.ts listAssetBodies): `latest` is read from it.
 */
export async function searchAssets(
  q: Queryable,
  f: ListFilters,
  fingerprint?: string,
): Promise<{ total: number; assets: ListedAsset[]; stale?: number[] }> {
  const where: string[] = ['a.body IS NOT NULL'];
  const params: (string | number)[] = [];
  const param = (v: string | number) => {
    params.push(v);
    return `$${params.length}`;
  };
  const search = searchTerms(f.search, param, 'a');
  where.push(...search.where);
  if (f.tiers.length > 0) where.push(anyOf('a.tier', param(JSON.stringify(f.tiers))));
  if (f.tags.length > 0)
    where.push(
      `EXISTS (SELECT 1 FROM json_array_elements_text(a.tags) AS t WHERE ${anyOf('t', param(JSON.stringify(f.tags)))})`,
    );
  if (f.platforms.length > 0)
    where.push(`EXISTS (${SERVED_BUILDS} AND ${anyOf('b.platform', param(JSON.stringify(f.platforms)))})`);
  if (f.archs.length > 0)
    where.push(`EXISTS (${SERVED_BUILDS} AND ${anyOf('b.arch', param(JSON.stringify(f.archs)))})`);
  const filter = where.join(' AND ');
  const total = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM assets a WHERE ${filter}`,
    params,
  );
  const n = params.length;
  const { rows } = await q.query<AssetRow>(
    `SELECT a.id, a.namespace, a.name, a.description, a.tier, a.tags, a.updated_at, a.downloads, a.body,
       a.body_stale, a.rendered_with
     FROM assets a WHERE ${filter} ORDER BY ${search.rank}${ORDER_BY[f.order]} LIMIT $${n + 1} OFFSET $${n + 2}`,
    [...params, PER_PAGE, (f.page - 1) * PER_PAGE],
  );
  const found = { total: total.rows[0]?.n ?? 0, assets: rows.map(toListed) };
  return fingerprint === undefined ? found : { ...found, stale: staleIds(rows, fingerprint) };
}

interface AssetRow {
  id: number;
  namespace: string;
  name: string;
  description: string;
  tier: string;
  tags: string[];
  updated_at: Date;
  downloads: number;
  body: string;
  body_stale: boolean;
  rendered_with: string | null;
}

function toListed(r: AssetRow): ListedAsset {
  const versions = (JSON.parse(r.body) as ApiAsset).versions.map((v) => v.version);
  return {
    namespace: r.namespace,
    name: r.name,
    description: r.description,
    tier: r.tier,
    tags: r.tags,
    updatedAt: r.updated_at,
    downloads: r.downloads,
    latest: resolveVersion('latest', versions),
  };
}

export interface Facets {
  tiers: string[];
  platforms: string[];
  archs: string[];
  /** Most used first. */
  tags: { tag: string; count: number }[];
}

/** The values the filters offer: those of served assets and builds. */
export async function loadFacets(q: Queryable): Promise<Facets> {
  const values = async (sql: string) => (await q.query<{ v: string }>(sql)).rows.map((r) => r.v);
  const builds = (column: string) =>
    values(
      `SELECT min(b.${column}) AS v FROM builds b JOIN versions v ON v.id = b.version_id
       WHERE v.body IS NOT NULL AND v.removed_at IS NULL GROUP BY lower(b.${column}) ORDER BY lower(min(b.${column}))`,
    );
  const tags = await q.query<{ tag: string; count: number }>(
    `SELECT min(t) AS tag, count(*)::int AS count FROM assets a, json_array_elements_text(a.tags) AS t
     WHERE a.body IS NOT NULL GROUP BY lower(t) ORDER BY count(*) DESC, lower(min(t)) LIMIT 30`,
  );
  return {
    tiers: await values(
      'SELECT min(tier) AS v FROM assets WHERE body IS NOT NULL GROUP BY lower(tier) ORDER BY lower(min(tier))',
    ),
    platforms: await builds('platform'),
    archs: await builds('arch'),
    tags: tags.rows,
  };
}

export interface Counts {
  assets: number;
  versions: number;
  builds: number;
}

export async function loadCounts(q: Queryable): Promise<Counts> {
  const { rows } = await q.query<Counts>(
    `SELECT (SELECT count(*)::int FROM assets WHERE body IS NOT NULL) AS assets,
       (SELECT count(*)::int FROM versions WHERE body IS NOT NULL AND removed_at IS NULL) AS versions,
       (SELECT count(*)::int FROM builds b JOIN versions v ON v.id = b.version_id
         WHERE v.body IS NOT NULL AND v.removed_at IS NULL) AS builds`,
  );
  return rows[0] ?? { assets: 0, versions: 0, builds: 0 };
}

export interface FeedEntry {
  namespace: string;
  name: string;
  tag: string;
  prerelease: boolean;
  description: string;
  ingestedAt: Date;
}

/** The newest served versions, of every asset or of one. */
export async function recentVersions(q: Queryable, limit: number, assetId?: number): Promise<FeedEntry[]> {
  const { rows } = await q.query<{
    namespace: string;
    name: string;
    tag: string;
    prerelease: boolean;
    description: string;
    ingested_at: Date;
  }>(
    `SELECT a.namespace, a.name, v.tag, v.prerelease, a.description, v.ingested_at
     FROM versions v JOIN assets a ON a.id = v.asset_id
     WHERE v.body IS NOT NULL AND v.removed_at IS NULL AND ($2::int IS NULL OR a.id = $2)
     ORDER BY v.ingested_at DESC, v.id DESC LIMIT $1`,
    [limit, assetId ?? null],
  );
  return rows.map((r) => ({
    namespace: r.namespace,
    name: r.name,
    tag: r.tag,
    prerelease: r.prerelease,
    description: r.description,
    ingestedAt: r.ingested_at,
  }));
}
