import type { Router } from '@koa/router';
import { definitionDownloadFileName, resolveVersion } from '../../../bonsai-schema/index.js';
import type { Db } from '../../db/port.js';
import { notFound } from '../../errors.js';
import { assetCacheGroup } from '../../ingest/sync.js';
import { findAsset, type AssetRecord } from '../../store/assets.js';
import {
  buildDefinition,
  servedTags,
  versionDefinition,
  type BuildDefinition,
} from '../../store/versions.js';
import { readThrough, type CachedResponse } from '../cached.js';
import { CACHE_KEYS } from '../cache-keys.js';
import type { HttpDeps } from '../deps.js';
import { JSON_TYPE, YAML_TYPE, sendRendered } from '../respond.js';

type VersionParams = Record<'namespace' | 'name' | 'version', string>;
type BuildParams = Record<'namespace' | 'name' | 'version' | 'platform' | 'arch', string>;

/** The asset and the registry's spelling of the requested version (`latest`, `v1.2.3` ↔ `1.2.3`). */
async function resolve(db: Db, p: VersionParams): Promise<{ asset: AssetRecord; tag: string } | undefined> {
  const asset = await findAsset(db, p.namespace, p.name);
  if (!asset) return undefined;
  const tag = resolveVersion(p.version, await servedTags(db, asset.id));
  return tag === undefined ? undefined : { asset, tag };
}

/** One build's stored renders, with the asset and tag they belong to. */
async function resolveBuild(
  db: Db,
  p: BuildParams,
): Promise<{ asset: AssetRecord; tag: string; stored: BuildDefinition } | undefined> {
  const found = await resolve(db, p);
  const stored = found && (await buildDefinition(db, found.asset.id, found.tag, p.platform, p.arch));
  return stored && { ...found!, stored };
}

/** The cached response of `key` in the asset's group, loaded from the store on a miss; 404 when none. */
async function cachedOr404(
  deps: HttpDeps,
  p: VersionParams,
  key: string,
  load: () => Promise<CachedResponse | undefined>,
): Promise<CachedResponse> {
  const response = await readThrough(deps.cache, assetCacheGroup(p.namespace, p.name), key, load);
  if (!response) throw notFound();
  return response;
}

export function definitionRoutes(router: Router, deps: HttpDeps): void {
  router.get('/api/v1/assets/:namespace/:name/:version/release_asset_builds', async (ctx) => {
    const p = ctx.params as VersionParams;
    const response = await cachedOr404(deps, p, CACHE_KEYS.builds(p.version), async () => {
      const found = await resolve(deps.db, p);
      const stored = found && (await versionDefinition(deps.db, found.asset.id, found.tag));
      return stored && { ...stored, assetId: found.asset.id };
    });
    deps.downloads.count(response.assetId);
    sendRendered(ctx, response, JSON_TYPE);
  });

  router.get('/api/v1/assets/:namespace/:name/:version/:platform/:arch/release_asset', async (ctx) => {
    const p = ctx.params as BuildParams;
    const response = await cachedOr404(deps, p, CACHE_KEYS.build(p.version, p.platform, p.arch), async () => {
      const found = await resolveBuild(deps.db, p);
      return found && { ...found.stored.json, assetId: found.asset.id };
    });
    sendRendered(ctx, response, JSON_TYPE);
  });

  // Bonsai's "download definition" button: the single-build definition as a YAML attachment.
  router.get('/release_assets/:namespace/:name/:version/:platform/:arch/download', async (ctx) => {
    const p = ctx.params as BuildParams;
    const response = await cachedOr404(deps, p, CACHE_KEYS.yaml(p.version, p.platform, p.arch), async () => {
      const found = await resolveBuild(deps.db, p);
      if (!found) return undefined;
      const ref = { namespace: found.asset.namespace, name: found.asset.name };
      const filename = definitionDownloadFileName(ref, found.tag, p.platform, p.arch);
      return { ...found.stored.yaml, assetId: found.asset.id, filename };
    });
    deps.downloads.count(response.assetId);
    ctx.attachment(response.filename, { type: 'attachment' });
    sendRendered(ctx, response, YAML_TYPE);
  });
}
