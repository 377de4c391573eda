/**
 * The API asset object (`GET /api/v1/assets/:ns/:name`, COMPAT §5) and the list response.
 *
 * Facts and where they come from (sensu/bonsai):
 * - keys name, description, url, github_url, download_url, then the versions:
 *   `app/views/api/v1/extensions/_extension.json.jbuilder`; name is `<owner>/<name>`, url is
 *   `api_v1_extension_url`, download_url is `download_extension_url` (`<base>/assets/<ns>/<name>/download`).
 *   `deprecated` follows download_url (COMPAT §5); it is the extensions table's boolean column (`db/schema.rb`).
 * - `versions` is a list of {version, assets}: `app/views/api/v1/extensions/_extension_version.json.jbuilder`.
 * - each build is platform, arch, filter (singular), annotations (the version's), asset_sha, asset_url,
 *   last_modified, details_url (`api_v1_release_asset_url`, i.e. `.../<version>/<platform>/<arch>/release_asset`):
 *   `app/views/api/v1/extensions/_release_asset.json.jbuilder`.
 * - list: start, total, next (only when another page exists), then the items:
 *   `app/views/api/v1/extensions/index.json.jbuilder` (the items are named `assets` on the wire, COMPAT §5).
 *
 * Ours: never a null inside `versions` (sensuctl decodes them into pointers and would crash), so `filter`
 * is `[]` for a build without filters; last_modified is ISO 8601 UTC with milliseconds, which is how
 * Rails encodes a datetime column (the `2019-01-01 12:00:00` in Bonsai's apidoc example,
 * `app/controllers/api/v1/extensions_controller.rb`, is hand-written).
 */
import type { ApiAsset, ApiAssetBuild, ApiAssetList, ApiAssetVersion } from './asset-types.js';
import { assetApiUrl, assetDownloadUrl, releaseAssetUrl, type AssetRef } from './asset-urls.js';

/** Input the builders cannot turn into a valid object (a programming error upstream, not user input). */
export class DefinitionInputError extends Error {
  readonly code = 'DEFINITION_INPUT_INVALID';
  override readonly name = 'DefinitionInputError';
}

export interface ApiBuildInput {
  platform: string;
  arch: string;
  filters: readonly string[];
  sha512: string;
  /** Where the archive is downloaded from (the same URL as in the definitions). */
  url: string;
  lastModified: Date;
}

export interface ApiVersionInput {
  /** The tag as the registry spells it. */
  version: string;
  /** From bonsaiAnnotations for this version. */
  annotations: Readonly<Record<string, string>>;
  builds: readonly ApiBuildInput[];
}

export interface ApiAssetInput {
  baseUrl: string;
  namespace: string;
  name: string;
  description?: string;
  /** e.g. `https://github.com/<owner>/<repo>` (or the GitHub Enterprise equivalent). */
  githubUrl: string;
  deprecated: boolean;
  /** In the order to serve them (versions.ts sorts; this builder keeps the order it is given). */
  versions: readonly ApiVersionInput[];
}

export interface ApiAssetListInput {
  start: number;
  total: number;
  /** The URL of the next page; omitted from the output when undefined. */
  next?: string;
  assets: readonly ApiAsset[];
}

function lastModified(date: Date, where: string): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new DefinitionInputError(`${where}: last_modified must be a valid Date, got ${String(date)}`);
  }
  return date.toISOString();
}

function apiBuild(
  baseUrl: string,
  ref: AssetRef,
  version: ApiVersionInput,
  build: ApiBuildInput,
): ApiAssetBuild {
  const where = `${ref.namespace}/${ref.name} ${version.version} ${build.platform}/${build.arch}`;
  return {
    platform: build.platform,
    arch: build.arch,
    filter: [...build.filters],
    annotations: { ...version.annotations },
    asset_sha: build.sha512,
    asset_url: build.url,
    last_modified: lastModified(build.lastModified, where),
    details_url: releaseAssetUrl(baseUrl, ref, version.version, build.platform, build.arch),
  };
}

export function apiAsset(input: ApiAssetInput): ApiAsset {
  const ref: AssetRef = { namespace: input.namespace, name: input.name };
  const versions: ApiAssetVersion[] = input.versions.map((version) => ({
    version: version.version,
    assets: version.builds.map((build) => apiBuild(input.baseUrl, ref, version, build)),
  }));
  return {
    name: `${input.namespace}/${input.name}`,
    description: input.description ?? '',
    url: assetApiUrl(input.baseUrl, ref),
    github_url: input.githubUrl,
    download_url: assetDownloadUrl(input.baseUrl, ref),
    deprecated: input.deprecated,
    versions,
  };
}

export function apiAssetList(input: ApiAssetListInput): ApiAssetList {
  const assets = [...input.assets];
  if (input.next === undefined) return { start: input.start, total: input.total, assets };
  return { start: input.start, total: input.total, next: input.next, assets };
}
