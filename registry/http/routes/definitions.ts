import { definitionDownloadFileName } from '../../../bonsai-schema/index.js';
import { CACHE_KEYS, assetCacheGroup } from '../../cache/names.js';
import { servedBuild, servedVersion } from '../../store/served.js';
import type { HttpDeps } from '../deps.js';
import { freshRender } from '../fresh.js';
import type { ReadRoute, RouteParams } from '../reads.js';
import { JSON_TYPE, YAML_TYPE } from '../respond.js';

type VersionParams = Record<'namespace' | 'name' | 'version', string>;
type BuildParams = Record<'namespace' | 'name' | 'version' | 'platform' | 'arch', string>;

const versionOf = (params: RouteParams) => params as VersionParams;
const buildOf = (params: RouteParams) => params as BuildParams;

/** A version's definition, every build: what sensuctl and agents read. */
const builds: ReadRoute = {
  template: '/api/v1/assets/:namespace/:name/:version/release_asset_builds',
  type: JSON_TYPE,
  download: true,
  fast: true,
  entry: (params) => {
    const p = versionOf(params);
    return { group: assetCacheGroup(p.namespace, p.name), key: CACHE_KEYS.builds(p.version) };
  },
  async load(deps, params) {
    const p = versionOf(params);
    const found = await freshRender(deps, () => servedVersion(deps.db, p.namespace, p.name, p.version));
    return found && { body: found.body, etag: found.etag, assetId: found.assetId };
  },
};

/** The cache entry of one build's render (`kind`: JSON or YAML). */
function buildEntry(kind: 'build' | 'yaml'): ReadRoute['entry'] {
  return (params) => {
    const p = buildOf(params);
    return {
      group: assetCacheGroup(p.namespace, p.name),
      key: CACHE_KEYS[kind](p.version, p.platform, p.arch),
    };
  };
}

/** One build's stored renders, by the one query of a miss (fresh ones: http/fresh.ts). */
function loadBuild(deps: HttpDeps, params: RouteParams) {
  const p = buildOf(params);
  return freshRender(deps, () => servedBuild(deps.db, p.namespace, p.name, p.version, p.platform, p.arch));
}

/** One build's definition. */
const build: ReadRoute = {
  template: '/api/v1/assets/:namespace/:name/:version/:platform/:arch/release_asset',
  type: JSON_TYPE,
  download: false,
  fast: true,
  entry: buildEntry('build'),
  async load(deps, params) {
    const json = (await loadBuild(deps, params))?.json;
    return json && { body: json.body, etag: json.etag, assetId: json.assetId };
  },
};

/** Bonsai's "download definition" button: the single-build definition as a YAML attachment. */
const yamlDownload: ReadRoute = {
  template: '/release_assets/:namespace/:name/:version/:platform/:arch/download',
  type: YAML_TYPE,
  download: true,
  // Koa writes the attachment's Content-Disposition.
  fast: false,
  entry: buildEntry('yaml'),
  async load(deps, params) {
    const yaml = (await loadBuild(deps, params))?.yaml;
    if (!yaml) return undefined;
    const { platform, arch } = buildOf(params);
    const filename = definitionDownloadFileName(yaml, yaml.tag, platform, arch);
    return { body: yaml.body, etag: yaml.etag, assetId: yaml.assetId, filename };
  },
};

/** The definition routes (registered by read-table.ts, with the fast path). */
export const DEFINITION_READS: readonly ReadRoute[] = [builds, build, yamlDownload];
