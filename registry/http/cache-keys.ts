/**
 * The cache entry of each cached read, shared by the Koa routes (which fill the cache) and the fast path
 * (which answers hits before Koa): the same request always maps to the same entry. Groups are per asset
 * (see assetCacheGroup), so an ingest drops all of them at once.
 */
export const CACHE_KEYS = {
  asset: () => 'asset',
  builds: (version: string) => `builds:${version}`,
  build: (version: string, platform: string, arch: string) => `build:${version}:${platform}:${arch}`,
  yaml: (version: string, platform: string, arch: string) => `yaml:${version}:${platform}:${arch}`,
};
