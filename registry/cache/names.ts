import type { Cache } from './port.js';

/**
 * Where each cached response lives (DESIGN: data flow). Groups are the unit of invalidation: one per
 * asset (all its responses), and the asset list's pages split by the filter that bounds what they can
 * show, so an asset change drops only the pages that could list it.
 */

/** The cache group of an asset's responses; URLs may spell the name in any case. */
export function assetCacheGroup(namespace: string, name: string): string {
  return `asset:${namespace.toLowerCase()}/${name.toLowerCase()}`;
}

/** Pages any asset change may affect: the unfiltered and searched lists, the web's home, list and feed. */
export const LIST_CACHE_GROUP = 'list';

/**
 * Pages in download order (API and web): saving download counts drops them (http/downloads.ts), and any
 * asset change may move them too. Only these: counts are saved every few seconds, and dropping every
 * list that often would leave little cached.
 */
export const DOWNLOADS_LIST_CACHE_GROUP = 'list:downloads';

/**
 * The group of an API list page: a page filtered by namespace (or by name) can only show assets of that
 * namespace (name), so a change elsewhere leaves it cached. Pages in download order have their own group.
 */
export function listCacheGroup(filter: { namespace?: string; name?: string; order?: string }): string {
  if (filter.order === 'most_downloaded') return DOWNLOADS_LIST_CACHE_GROUP;
  if (filter.namespace !== undefined) return `list:ns:${filter.namespace.toLowerCase()}`;
  if (filter.name !== undefined) return `list:name:${filter.name.toLowerCase()}`;
  return LIST_CACHE_GROUP;
}

/** The entry of each cached read inside its asset's group (the same request always maps to one entry). */
export const CACHE_KEYS = {
  asset: () => 'asset',
  builds: (version: string) => `builds:${version}`,
  build: (version: string, platform: string, arch: string) => `build:${version}:${platform}:${arch}`,
  yaml: (version: string, platform: string, arch: string) => `yaml:${version}:${platform}:${arch}`,
};

/** Drops every cached response an asset change may have made stale (its own, and the lists it can be on). */
export async function invalidateAsset(
  cache: Cache,
  asset: { namespace: string; name: string },
): Promise<void> {
  await cache.del(assetCacheGroup(asset.namespace, asset.name));
  await cache.del(LIST_CACHE_GROUP);
  await cache.del(DOWNLOADS_LIST_CACHE_GROUP);
  await cache.del(listCacheGroup({ namespace: asset.namespace }));
  await cache.del(listCacheGroup({ name: asset.name }));
}
