import type { Queryable } from '../db/port.js';

/** A registered repository, served as asset `namespace/name`. */
export interface AssetRecord {
  id: number;
  namespace: string;
  name: string;
  description: string;
  /** The description was given by an operator and is not replaced by GitHub's. */
  descriptionLocked: boolean;
  githubUrl: string;
  tier: string;
  tags: string[];
  deprecated: boolean;
  downloads: number;
  releasesEtags: string[];
  /** The rendered API asset object and its ETag (absent until the first render). */
  body: string | null;
  etag: string | null;
  /**
   * A version entered or left the object since `body` was assembled (an ingest marks it, ingest/render.ts):
   * `body` and `etag` are the object before that change, and a read assembles it first (assembleAsset).
   */
  bodyStale: boolean;
  createdAt: Date;
  updatedAt: Date;
  syncedAt: Date | null;
  /** The mirror base URL when loaded by `bonsai registry import` (never synced from GitHub); else null. */
  importedFrom: string | null;
  /** The base URLs its stored renders embed (ingest/render.ts: renderFingerprint); null: never rendered. */
  renderedWith: string | null;
}

interface AssetRow {
  id: number;
  namespace: string;
  name: string;
  description: string;
  description_locked: boolean;
  github_url: string;
  tier: string;
  tags: string[];
  deprecated: boolean;
  downloads: number;
  releases_etags: string[];
  body: string | null;
  etag: string | null;
  body_stale: boolean;
  created_at: Date;
  updated_at: Date;
  synced_at: Date | null;
  imported_from: string | null;
  rendered_with: string | null;
}

const COLUMNS = `id, namespace, name, description, description_locked, github_url, tier, tags, deprecated,
  downloads, releases_etags, body, etag, body_stale, created_at, updated_at, synced_at, imported_from,
  rendered_with`;

function toRecord(r: AssetRow): AssetRecord {
  return {
    id: r.id,
    namespace: r.namespace,
    name: r.name,
    description: r.description,
    descriptionLocked: r.description_locked,
    githubUrl: r.github_url,
    tier: r.tier,
    tags: r.tags,
    deprecated: r.deprecated,
    downloads: r.downloads,
    releasesEtags: r.releases_etags,
    body: r.body,
    etag: r.etag,
    bodyStale: r.body_stale,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    syncedAt: r.synced_at,
    importedFrom: r.imported_from,
    renderedWith: r.rendered_with,
  };
}

/** GitHub names are case-insensitive, and so are ours. */
export async function findAsset(
  q: Queryable,
  namespace: string,
  name: string,
): Promise<AssetRecord | undefined> {
  const { rows } = await q.query<AssetRow>(
    `SELECT ${COLUMNS} FROM assets WHERE lower(namespace) = lower($1) AND lower(name) = lower($2)`,
    [namespace, name],
  );
  return rows[0] && toRecord(rows[0]);
}

export async function getAsset(q: Queryable, id: number): Promise<AssetRecord | undefined> {
  const { rows } = await q.query<AssetRow>(`SELECT ${COLUMNS} FROM assets WHERE id = $1`, [id]);
  return rows[0] && toRecord(rows[0]);
}

/**
 * Locks the asset's row for the rest of the transaction. A transaction that writes versions and then
 * renders the asset takes it first: renders of stale assets (after a base URL change) lock the asset,
 * then write its versions, and the same order everywhere means neither waits on the other forever.
 */
export async function lockAsset(q: Queryable, id: number): Promise<void> {
  await q.query('SELECT 1 FROM assets WHERE id = $1 FOR UPDATE', [id]);
}

/**
 * getAsset without the rendered body (a render rebuilds it from its entries, and need not read it). With
 * `lock`, the row is locked for the rest of the transaction first (lockAsset), and read as it is then.
 */
export async function getAssetToRender(
  q: Queryable,
  id: number,
  lock?: 'for update',
): Promise<AssetRecord | undefined> {
  const { rows } = await q.query<AssetRow>(
    `SELECT ${COLUMNS.replace(/\bbody\b/, 'NULL AS body')} FROM assets WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] && toRecord(rows[0]);
}

export async function allAssets(q: Queryable): Promise<AssetRecord[]> {
  const { rows } = await q.query<AssetRow>(
    `SELECT ${COLUMNS} FROM assets ORDER BY lower(namespace), lower(name)`,
  );
  return rows.map(toRecord);
}

export interface AssetSettings {
  description?: string;
  tier?: string;
  tags?: string[];
}

/**
 * Registers `namespace/name`, or updates the settings given for an asset already registered (in any case
 * of the name). One statement, so concurrent registrations of one repository all succeed.
 * Returns the record and whether it is new (`xmax = 0` only for a freshly inserted row).
 */
export async function registerAsset(
  q: Queryable,
  namespace: string,
  name: string,
  settings: AssetSettings,
): Promise<{ asset: AssetRecord; created: boolean }> {
  const { rows } = await q.query<AssetRow & { created: boolean }>(
    `INSERT INTO assets (namespace, name, description, description_locked, github_url, tier, tags)
     VALUES ($1, $2, COALESCE($3, ''), $3::text IS NOT NULL, $4, COALESCE($5, 'Community'),
       COALESCE($6::json, '[]'))
     ON CONFLICT (lower(namespace), lower(name)) DO UPDATE SET
       description = COALESCE($3, assets.description),
       description_locked = assets.description_locked OR $3::text IS NOT NULL,
       tier = COALESCE($5, assets.tier),
       tags = COALESCE($6::json, assets.tags)
     RETURNING ${COLUMNS}, (xmax = 0) AS created`,
    [
      namespace,
      name,
      settings.description ?? null,
      `https://github.com/${namespace}/${name}`,
      settings.tier ?? null,
      settings.tags ? JSON.stringify(settings.tags) : null,
    ],
  );
  const row = rows[0]!;
  return { asset: toRecord(row), created: row.created };
}

/**
 * What GitHub says about the repository (its page, its description unless an operator set one). Returns
 * whether either changed (then every render of the asset embeds something new).
 */
export async function updateFromGitHub(
  q: Queryable,
  id: number,
  repo: { htmlUrl: string; description: string },
): Promise<boolean> {
  const { rowCount } = await q.query(
    `UPDATE assets SET github_url = $2,
       description = CASE WHEN description_locked THEN description ELSE $3 END
     WHERE id = $1
       AND (github_url IS DISTINCT FROM $2 OR (NOT description_locked AND description IS DISTINCT FROM $3))`,
    [id, repo.htmlUrl, repo.description],
  );
  return rowCount > 0;
}

/** Marks an asset as loaded from the mirror at `baseUrl` (and synced now, for status). */
export async function markImported(
  q: Queryable,
  id: number,
  asset: { baseUrl: string; description: string; githubUrl: string },
): Promise<void> {
  await q.query(
    `UPDATE assets SET imported_from = $2, description = $3, github_url = $4, synced_at = now() WHERE id = $1`,
    [id, asset.baseUrl, asset.description, asset.githubUrl],
  );
}

/**
 * Stores the asset object made of its versions' entries (ingest/render.ts): `head` (the object up to its
 * `versions` array), then the entries of `tags` in that order, joined in the database, so a render neither
 * reads the stored entries one by one nor sends the object (its size grows with the versions) as a
 * parameter. `etagOf` hashes the object as stored (in this process: a hash in the database is slower), then
 * the ETag is stored and the object is no longer stale; `changed` bumps updated_at when the object changed.
 * With `unlessSame`, an object equal to the stored one (made with the same URLs, and not stale) is not
 * written again (a full render of an asset whose data did not change, on every sync). Returns the new ETag;
 * undefined when nothing was written.
 */
export async function saveAssetFromEntries(
  q: Queryable,
  id: number,
  render: { head: string; tags: string[]; changed: boolean; renderedWith: string; unlessSame: boolean },
  etagOf: (body: string) => string,
): Promise<string | undefined> {
  const { rows } = await q.query<{ body: string }>(
    `WITH made AS (
       SELECT $2 || '[' || COALESCE(string_agg(v.entry, ',' ORDER BY o.n), '') || ']}' AS body
       FROM json_array_elements_text($3::json) WITH ORDINALITY AS o (tag, n)
       JOIN versions v ON v.asset_id = $1 AND v.tag = o.tag AND v.entry IS NOT NULL
     )
     UPDATE assets SET body = made.body, rendered_with = $4, body_stale = false FROM made
     WHERE assets.id = $1
       AND (NOT $5 OR assets.body_stale OR assets.body IS DISTINCT FROM made.body
         OR assets.rendered_with IS DISTINCT FROM $4)
     RETURNING assets.body`,
    [id, render.head, JSON.stringify(render.tags), render.renderedWith, render.unlessSame],
  );
  const body = rows[0]?.body;
  if (body === undefined) return undefined;
  const etag = etagOf(body);
  await q.query(
    `UPDATE assets SET etag = $2, updated_at = CASE WHEN $3 AND etag IS DISTINCT FROM $2 THEN now() ELSE updated_at END
     WHERE id = $1`,
    [id, etag, render.changed],
  );
  return etag;
}

/**
 * A version entered or left the asset object (an ingest rendered its entry, or took it out): the object is
 * assembled when next read (ingest/render.ts assembleAsset), and the asset counts as updated now
 * (order=recently_updated), as it would have when the object was rebuilt at once. The body is not written.
 */
export async function markBodyStale(q: Queryable, id: number): Promise<void> {
  await q.query('UPDATE assets SET body_stale = true, updated_at = now() WHERE id = $1', [id]);
}

export async function saveReleasesEtags(q: Queryable, id: number, etags: string[]): Promise<void> {
  await q.query('UPDATE assets SET releases_etags = $2::json, synced_at = now() WHERE id = $1', [
    id,
    JSON.stringify(etags),
  ]);
}

/**
 * Marks every asset not polled for `intervalMs` as polled now and returns their ids. The UPDATE is
 * atomic per row, so several processes sharing the database never poll the same asset twice.
 */
export async function takeAssetsDueForPoll(q: Queryable, intervalMs: number): Promise<number[]> {
  const { rows } = await q.query<{ id: number }>(
    `UPDATE assets SET polled_at = now()
     WHERE polled_at <= now() - $1 * interval '1 millisecond' AND imported_from IS NULL
     RETURNING id`,
    [intervalMs],
  );
  return rows.map((r) => r.id);
}

/**
 * Adds a batch of download counts in one statement: all of them or none (a failed batch is retried). The
 * rows are locked in id order first, so two processes writing overlapping batches wait for each other
 * instead of deadlocking.
 */
export async function addDownloads(q: Queryable, counts: ReadonlyMap<number, number>): Promise<void> {
  const batch = [...counts].map(([id, n]) => ({ id, n }));
  await q.query(
    `WITH c AS (SELECT * FROM json_to_recordset($1::json) AS c (id integer, n integer)),
       locked AS (SELECT id FROM assets WHERE id IN (SELECT id FROM c) ORDER BY id FOR UPDATE)
     UPDATE assets SET downloads = assets.downloads + c.n
     FROM c WHERE assets.id = c.id AND assets.id IN (SELECT id FROM locked)`,
    [JSON.stringify(batch)],
  );
}

export type AssetOrder = 'name' | 'recently_updated' | 'recently_added' | 'most_downloaded';

export interface AssetListQuery {
  start: number;
  items: number;
  order: AssetOrder;
  namespace?: string;
  name?: string;
  /** Case-insensitive words matched against namespace, name, description and tags. */
  search?: string;
}

const ORDER_BY: Record<AssetOrder, string> = {
  name: 'lower(namespace), lower(name)',
  recently_updated: 'updated_at DESC, lower(namespace), lower(name)',
  recently_added: 'created_at DESC, lower(namespace), lower(name)',
  most_downloaded: 'downloads DESC, lower(namespace), lower(name)',
};

/**
 * Every text a search word may match, as one expression: the trigram index of migration 0011 is built on
 * exactly this expression (change both together). `a` is the table's alias in the query, if any.
 */
const searchText = (a: string) =>
  `(${a}namespace || ' ' || ${a}name || ' ' || ${a}description || ' ' || ${a}tags::text)`;

/**
 * The conditions of a q= search: each word must appear, in any case, anywhere in the namespace, name,
 * description or tags (a substring match, answered by the trigram index). `rank` orders the matches as
 * Bonsai does, names first: assets whose name holds every word, then the rest, each group in the page's
 * order. Shared by the API list and the web pages.
 */
export function searchTerms(
  search: string,
  param: (v: string) => string,
  alias?: string,
): { where: string[]; rank: string } {
  const a = alias ? `${alias}.` : '';
  const words = search.split(/\s+/).filter(Boolean);
  if (words.length === 0) return { where: [], rank: '' };
  const likes = words.map((word) => param(`%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  return {
    where: likes.map((like) => `${searchText(a)} ILIKE ${like}`),
    rank: `CASE WHEN ${likes.map((like) => `${a}name ILIKE ${like}`).join(' AND ')} THEN 0 ELSE 1 END, `,
  };
}

/**
 * Whether an asset's stored renders must be made again before they are served: made with other base URLs
 * or another render format than `fingerprint` (ingest/render.ts renderFingerprint), or an asset object an
 * ingest left to assemble (`bodyStale`).
 */
export function rendersStale(
  asset: { renderedWith: string | null; bodyStale?: boolean },
  fingerprint: string,
): boolean {
  return asset.bodyStale === true || asset.renderedWith !== fingerprint;
}

/** The ids of a page's asset rows whose renders are stale (rendersStale): rendered before it is served. */
export function staleIds(
  rows: readonly { id: number; rendered_with: string | null; body_stale: boolean }[],
  fingerprint: string,
): number[] {
  return rows
    .filter((r) => rendersStale({ renderedWith: r.rendered_with, bodyStale: r.body_stale }, fingerprint))
    .map((r) => r.id);
}

/**
 * One page of rendered asset objects and the total matching the filters. Given the current base URLs'
 * `fingerprint`, also the ids of the page's assets to render before they are served (`stale`): rendered
 * with other URLs, or with an object to assemble (`body_stale`).
 */
export async function listAssetBodies(
  q: Queryable,
  query: AssetListQuery,
  fingerprint?: string,
): Promise<{ total: number; bodies: string[]; stale?: number[] }> {
  const where: string[] = ['body IS NOT NULL'];
  const params: (string | number)[] = [];
  const param = (v: string | number) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (query.namespace !== undefined) where.push(`lower(namespace) = lower(${param(query.namespace)})`);
  if (query.name !== undefined) where.push(`lower(name) = lower(${param(query.name)})`);
  const search = searchTerms(query.search ?? '', param);
  where.push(...search.where);
  const filter = where.join(' AND ');
  const total = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM assets WHERE ${filter}`, params);
  const n = params.length;
  const page = await q.query<{
    id: number;
    body: string;
    rendered_with: string | null;
    body_stale: boolean;
  }>(
    `SELECT id, body, rendered_with, body_stale FROM assets WHERE ${filter} ORDER BY ${search.rank}${ORDER_BY[query.order]} LIMIT $${n + 1} OFFSET $${n + 2}`,
    [...params, query.items, query.start],
  );
  const found = { total: total.rows[0]?.n ?? 0, bodies: page.rows.map((r) => r.body) };
  return fingerprint === undefined ? found : { ...found, stale: staleIds(page.rows, fingerprint) };
}
