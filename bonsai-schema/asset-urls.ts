/**
 * The registry's own URLs, laid out as Bonsai lays them out (sensu/bonsai `config/routes.rb`, used by the
 * views under `app/views/api/v1/`): the API asset object links to them and the annotations carry two.
 * `baseUrl` is the registry's public origin (plus path prefix, if any), e.g. `https://bonsai.example.com`.
 */

export interface AssetRef {
  namespace: string;
  name: string;
}

/**
 * One path segment, escaped the way Rails' URL helpers escape it: RFC 3986 `pchar` stays as it is
 * (so `1.0.0+build` keeps its `+`), everything else is percent-encoded.
 */
export function pathSegment(value: string): string {
  return encodeURIComponent(value).replace(/%(24|26|2B|2C|3B|3D|3A|40)/gi, (escaped) =>
    decodeURIComponent(escaped),
  );
}

function join(baseUrl: string, segments: readonly string[]): string {
  return [baseUrl.replace(/\/+$/, ''), ...segments.map(pathSegment)].join('/');
}

/** The asset's web page: `<base>/assets/<ns>/<name>` (annotation io.sensu.bonsai.url). */
export function assetPageUrl(baseUrl: string, { namespace, name }: AssetRef): string {
  return join(baseUrl, ['assets', namespace, name]);
}

/** The API asset object: `<base>/api/v1/assets/<ns>/<name>` (io.sensu.bonsai.api_url, and `url`). */
export function assetApiUrl(baseUrl: string, { namespace, name }: AssetRef): string {
  return join(baseUrl, ['api', 'v1', 'assets', namespace, name]);
}

/** Bonsai's `download_extension_url`: `<base>/assets/<ns>/<name>/download`. */
export function assetDownloadUrl(baseUrl: string, { namespace, name }: AssetRef): string {
  return join(baseUrl, ['assets', namespace, name, 'download']);
}

/** The multi-build definition: `<base>/api/v1/assets/<ns>/<name>/<version>/release_asset_builds`. */
export function releaseAssetBuildsUrl(baseUrl: string, asset: AssetRef, version: string): string {
  return join(baseUrl, ['api', 'v1', 'assets', asset.namespace, asset.name, version, 'release_asset_builds']);
}

/** One build's definition (`details_url`): `.../<version>/<platform>/<arch>/release_asset`. */
export function releaseAssetUrl(
  baseUrl: string,
  asset: AssetRef,
  version: string,
  platform: string,
  arch: string,
): string {
  return join(baseUrl, [
    'api',
    'v1',
    'assets',
    asset.namespace,
    asset.name,
    version,
    platform,
    arch,
    'release_asset',
  ]);
}

/** File name of Bonsai's "download definition" attachment: `<ns>-<name>-<version>-<platform>-<arch>.yml`. */
export function definitionDownloadFileName(
  asset: AssetRef,
  version: string,
  platform: string,
  arch: string,
): string {
  return `${asset.namespace}-${asset.name}-${version}-${platform}-${arch}.yml`;
}
