import type { Router } from '@koa/router';
import {
  apiAssetList,
  assetApiUrl,
  releaseAssetBuildsUrl,
  type ApiAsset,
} from '../../../bonsai-schema/index.js';
import { CACHE_KEYS, assetCacheGroup, listCacheGroup } from '../../cache/names.js';
import { RegistryError, notFound } from '../../errors.js';
import { findAsset, listAssetBodies, type AssetListQuery, type AssetOrder } from '../../store/assets.js';
import { strongEtag } from '../etags.js';
import type { HttpDeps } from '../deps.js';
import { freshPage, freshRender } from '../fresh.js';
import type { ReadRoute, RouteQuery } from '../reads.js';
import { JSON_TYPE } from '../respond.js';
import { assetStatus, type AssetStatus } from '../../status.js';
import { hideAddresses } from '../redact.js';

/** The status as anyone may read it: job errors and log lines without internal addresses. */
function publicStatus(status: AssetStatus): AssetStatus {
  return {
    ...status,
    jobs: status.jobs.map((j) => ({ ...j, last_error: j.last_error && hideAddresses(j.last_error) })),
    log: status.log.map((e) => ({ ...e, message: hideAddresses(e.message) })),
  };
}

/**
 * Bonsai's orders (`Extension.ordered_by`); `name` is its default. Bonsai also takes `most_followed`:
 * there are no followers here, so it lists by name. Anything else is refused with the accepted values
 * (Bonsai silently lists by name).
 */
const ORDERS: Readonly<Record<string, AssetOrder>> = {
  name: 'name',
  recently_updated: 'recently_updated',
  recently_added: 'recently_added',
  most_downloaded: 'most_downloaded',
  most_followed: 'name',
};
const MAX_ITEMS = 100;
const DEFAULT_ITEMS = 10;
const ACCEPTED_COUNTS = `start is a whole number from 0 (default 0); items a whole number from 1 (default ${DEFAULT_ITEMS}, at most ${MAX_ITEMS} are listed)`;

type Query = RouteQuery;

function single(query: Query, key: string): string | undefined {
  const value = query[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `start`/`items`/`order` as Bonsai reads them: a negative start or items is refused with Bonsai's
 * message, items above 100 are read as 100. Where Bonsai has no rule (items=0 lists nothing with a
 * `next` to the same page; a non-number is read as 0; an unknown order as name) the request is refused,
 * with the accepted values.
 */
export function parseListQuery(query: Query): { list: AssetListQuery; itemsGiven: boolean } {
  const start = single(query, 'start');
  const items = single(query, 'items');
  const isCount = (v: string | undefined) => v === undefined || /^\d{1,9}$/.test(v);
  if (!isCount(start) || !isCount(items) || Number(items) === 0) {
    throw new RegistryError(
      'INVALID_DATA',
      `Start and item parameters must be positive numbers but they are start: ${start ?? 'not provided'} and items: ${items ?? 'not provided'}.`,
      { hint: ACCEPTED_COUNTS },
    );
  }
  const order = single(query, 'order');
  const ordered = order === undefined ? 'name' : Object.hasOwn(ORDERS, order) ? ORDERS[order] : undefined;
  if (ordered === undefined) {
    throw new RegistryError(
      'INVALID_DATA',
      `order ${JSON.stringify(order)} is not an order of the asset list`,
      {
        hint: `order is one of ${Object.keys(ORDERS).join(', ')} (default name)`,
      },
    );
  }
  const list: AssetListQuery = {
    start: start === undefined ? 0 : Number(start),
    items: Math.min(items === undefined ? DEFAULT_ITEMS : Number(items), MAX_ITEMS),
    order: ordered,
  };
  const namespace = single(query, 'namespace');
  const name = single(query, 'name');
  const search = single(query, 'q');
  if (namespace) list.namespace = namespace;
  if (name) list.name = name;
  if (search?.trim()) list.search = search.trim();
  return { list, itemsGiven: items !== undefined };
}

/** The next page's URL keeps every filter; keys sorted as Rails' `to_query` writes them. */
export function nextPageUrl(
  publicUrl: string,
  query: Query,
  list: AssetListQuery,
  itemsGiven: boolean,
): string {
  const params: Record<string, string> = {};
  for (const key of ['namespace', 'name', 'order', 'q']) {
    const value = single(query, key);
    if (value !== undefined && value !== '') params[key] = value;
  }
  params.start = String(list.start + list.items);
  if (itemsGiven) params.items = String(list.items);
  const search = new URLSearchParams(
    Object.keys(params)
      .sort()
      .map((k): [string, string] => [k, params[k]!]),
  );
  return `${publicUrl}/api/v1/assets?${search.toString()}`;
}

/** The asset list: one page of asset objects, filtered and ordered as Bonsai does. */
const list: ReadRoute = {
  template: '/api/v1/assets',
  type: JSON_TYPE,
  download: false,
  fast: true,
  entry: (_params, query) => {
    const { list } = parseListQuery(query);
    return { group: listCacheGroup(list), key: JSON.stringify(list) };
  },
  async load(deps, _params, query) {
    const { list, itemsGiven } = parseListQuery(query);
    const page = await freshPage(deps, (fingerprint) => listAssetBodies(deps.db, list, fingerprint));
    const more = list.items > 0 && list.start + list.items < page.total;
    const body = JSON.stringify(
      apiAssetList({
        start: list.start,
        total: page.total,
        ...(more ? { next: nextPageUrl(deps.urls.publicUrl, query, list, itemsGiven) } : {}),
        assets: page.bodies.map((b) => JSON.parse(b) as ApiAsset),
      }),
    );
    return { body, etag: strongEtag(body), assetId: 0 };
  },
};

/** One asset object with all its versions. */
const asset: ReadRoute = {
  template: '/api/v1/assets/:namespace/:name',
  type: JSON_TYPE,
  download: false,
  fast: true,
  entry: ({ namespace, name }) => ({ group: assetCacheGroup(namespace!, name!), key: CACHE_KEYS.asset() }),
  async load(deps, { namespace, name }) {
    const found = await freshRender(deps, async () => {
      const asset = await findAsset(deps.db, namespace!, name!);
      return asset && { ...asset, assetId: asset.id };
    });
    return found?.body && found.etag ? { body: found.body, etag: found.etag, assetId: found.id } : undefined;
  },
};

/** The cached asset routes (registered by read-table.ts, with the fast path). */
export const ASSET_READS: readonly ReadRoute[] = [list, asset];

export function assetRoutes(router: Router, deps: HttpDeps): void {
  router.get('/api/v1/assets/:namespace/:name/status', async (ctx) => {
    const { namespace, name } = ctx.params as { namespace: string; name: string };
    const status = await assetStatus(deps.db, namespace, name);
    if (!status) throw notFound();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = JSON_TYPE;
    ctx.body = JSON.stringify(publicStatus(status));
  });

  // Bonsai's web page of an asset and its "download" link: we have no web UI, so both lead to the API.
  router.get('/assets/:namespace/:name', async (ctx) => {
    const { namespace, name } = ctx.params as { namespace: string; name: string };
    if (!(await findAsset(deps.db, namespace, name))) throw notFound();
    ctx.redirect(assetApiUrl(deps.urls.publicUrl, { namespace, name }));
  });
  router.get('/assets/:namespace/:name/download', async (ctx) => {
    const { namespace, name } = ctx.params as { namespace: string; name: string };
    if (!(await findAsset(deps.db, namespace, name))) throw notFound();
    ctx.redirect(releaseAssetBuildsUrl(deps.urls.publicUrl, { namespace, name }, 'latest'));
  });
}
