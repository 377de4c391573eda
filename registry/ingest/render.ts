import {
  apiAsset,
  bonsaiAnnotations,
  multiBuildDefinition,
  parseVersion,
  pathSegment,
  singleBuildDefinition,
  sortVersions,
  toDefinitionJson,
  toDefinitionYaml,
  type ApiAssetInput,
  type DefinitionBuildInput,
} from '../../bonsai-schema/index.js';
import type { Queryable } from '../db/port.js';
import { strongEtag } from '../http/etags.js';
import { getAssetToRender, markBodyStale, saveAssetFromEntries, type AssetRecord } from '../store/assets.js';
import {
  dropUnservedEntries,
  entryTags,
  loadServedVersions,
  saveBuildRender,
  saveVersionRender,
  type ServedVersion,
  type StoredBuild,
} from '../store/versions.js';

/** The base URLs every render embeds; when they change, everything is rendered again. */
export interface RenderContext {
  publicUrl: string;
  artifactsUrl: string;
}

/**
 * The version of what renders hold. Bump it with any change to the bytes a render makes (definitions,
 * annotations, the asset object's entries): every asset rendered before is then stale and rendered again
 * (in the background after a start, or by its first read, like a PUBLIC_URL change), since a sync no
 * longer renders every version of its asset (only when the repository's details changed).
 * 2: the first version that says so (renders of 1 carry only the URLs).
 * test/registry/render-format.test.ts fails when the bytes change and it does not.
 */
export const RENDER_FORMAT = 2;

/**
 * The base URLs and the render format as stored with an asset's renders (`assets.rendered_with`) and the
 * `render_urls` state (migration 0012 copies one into the other, so both are written by this one
 * function). ingest/render.ts assembleAsset reads the URLs back from it.
 */
export function renderFingerprint(ctx: RenderContext): string {
  return JSON.stringify({ publicUrl: ctx.publicUrl, artifactsUrl: ctx.artifactsUrl, format: RENDER_FORMAT });
}

/** A mirrored build points at the artifacts base (Bonsai's `<host>/<commit>/<file>`), else at GitHub. */
export function buildUrl(build: Pick<StoredBuild, 'mirrorPath' | 'sourceUrl'>, ctx: RenderContext): string {
  if (build.mirrorPath === null) return build.sourceUrl;
  const [commit, ...file] = build.mirrorPath.split('/');
  return `${ctx.artifactsUrl}/${commit}/${pathSegment(file.join('/'))}`;
}

/** What the asset object says besides its versions. */
function assetHead(asset: AssetRecord, ctx: RenderContext): Omit<ApiAssetInput, 'versions'> {
  return {
    baseUrl: ctx.publicUrl,
    namespace: asset.namespace,
    name: asset.name,
    description: asset.description,
    githubUrl: asset.githubUrl,
    deprecated: asset.deprecated,
  };
}

/**
 * The API asset object's JSON up to its versions: `versions` is the object's last key, so the whole object
 * is this, then `[`, the versions' entries (renderVersion) in go-version order joined by commas, then `]}`:
 * byte for byte what JSON.stringify(apiAsset(...)) gives (store/assets.ts saveAssetFromEntries joins them).
 */
function assetHeadJson(asset: AssetRecord, ctx: RenderContext): string {
  return JSON.stringify(apiAsset({ ...assetHead(asset, ctx), versions: [] })).slice(0, -'[]}'.length);
}

/**
 * Stores the asset object assembled from the stored entries with `ctx`'s URLs (those the entries embed):
 * every served version's tag is read and sorted here, and every entry joined in the database, so the cost
 * grows with the version count. Returns the new ETag; undefined when nothing was written.
 */
async function saveAssetObject(
  q: Queryable,
  asset: AssetRecord,
  ctx: RenderContext,
  options: { changed: boolean; unlessSame: boolean },
): Promise<string | undefined> {
  // Equal versions keep their row order (sortVersions is stable), as they did when rendered whole.
  return saveAssetFromEntries(
    q,
    asset.id,
    {
      head: assetHeadJson(asset, ctx),
      tags: sortVersions(await entryTags(q, asset.id)),
      renderedWith: renderFingerprint(ctx),
      ...options,
    },
    strongEtag,
  );
}

/**
 * One version's renders: its definitions (stored when their bytes changed) and its entry of the asset
 * object (returned; stored by the caller with the definition). Returns whether a definition changed.
 */
async function renderVersion(
  q: Queryable,
  asset: AssetRecord,
  ctx: RenderContext,
  { version, etag, builds }: ServedVersion,
): Promise<{ wrote: boolean; entry: string; multi: { body: string; etag: string } }> {
  const annotations = bonsaiAnnotations({
    baseUrl: ctx.publicUrl,
    namespace: asset.namespace,
    name: asset.name,
    version: version.tag,
    tier: asset.tier,
    tags: asset.tags,
    configAnnotations: version.annotations ?? {},
  });
  const inputs: DefinitionBuildInput[] = builds.map((b) => ({
    platform: b.platform,
    arch: b.arch,
    url: buildUrl(b, ctx),
    sha512: b.sha512,
    filters: b.filters,
  }));
  let wrote = false;
  const body = toDefinitionJson(multiBuildDefinition({ name: asset.name, annotations, builds: inputs }));
  const multi = { body, etag: strongEtag(body) };
  if (multi.etag !== etag) wrote = true;
  for (const [i, input] of inputs.entries()) {
    const single = singleBuildDefinition({ name: asset.name, annotations, build: input });
    const json = toDefinitionJson(single);
    const yaml = toDefinitionYaml(single);
    const stored = builds[i]!;
    const jsonEtag = strongEtag(json);
    const yamlEtag = strongEtag(yaml);
    if (jsonEtag !== stored.etag || yamlEtag !== stored.yamlEtag) {
      await saveBuildRender(q, stored.id, { body: json, etag: jsonEtag }, { body: yaml, etag: yamlEtag });
      wrote = true;
    }
  }
  const lastModified = version.ingestedAt ?? version.createdAt;
  const [entry] = apiAsset({
    ...assetHead(asset, ctx),
    versions: [{ version: version.tag, annotations, builds: inputs.map((b) => ({ ...b, lastModified })) }],
  }).versions;
  return { wrote, entry: JSON.stringify(entry), multi };
}

/**
 * Renders an asset at write time: each version's multi-build definition, each build's single-build JSON
 * and YAML, and its entry of the API asset object, each stored (the definitions with their strong ETag).
 * `scope: 'changed'` renders only what an ingest changed: versions without a render (just ingested,
 * published or restored) are rendered, and versions no longer served (removed, withdrawn) leave. The other
 * versions are neither read nor written, and the asset object, which holds every version, is not rebuilt:
 * if a version entered or left it, it is only marked stale (updated_at moves then), and its first read
 * assembles it (assembleAsset). So the cost does not grow with the asset's version count (issue 12).
 * `'all'` renders every version and rebuilds the object at once (the asset's settings or the base URLs
 * changed); a `'changed'` render of an asset rendered with other base URLs is one too. Run it inside the
 * transaction that changed the data, the asset locked first (store/assets.ts lockAsset).
 * Returns whether any stored render changed (then the asset's cache entries must be dropped).
 */
export async function renderAsset(
  q: Queryable,
  assetId: number,
  ctx: RenderContext,
  scope: 'changed' | 'all',
): Promise<boolean> {
  const asset = await getAssetToRender(q, assetId);
  if (!asset) return false;
  const fingerprint = renderFingerprint(ctx);
  const all = scope === 'all' || asset.renderedWith !== fingerprint;
  let wrote = false;
  // Versions no longer served leave the object: those removed or withdrawn in this transaction (a full
  // render makes sure of every one).
  let entries = (await dropUnservedEntries(q, assetId, all ? 'all' : 'left')) > 0;
  const pending = await loadServedVersions(q, assetId, all ? undefined : 'unrendered');
  // Tags sensuctl cannot read are not served (the asset object never lists them).
  for (const served of pending.filter((s) => parseVersion(s.version.tag) !== undefined)) {
    const rendered = await renderVersion(q, asset, ctx, served);
    if (rendered.multi.etag !== served.etag || rendered.entry !== served.entry)
      await saveVersionRender(q, served.version.id, rendered.multi, rendered.entry);
    wrote ||= rendered.wrote;
    entries ||= rendered.entry !== served.entry;
  }
  if (!all) {
    if (entries) await markBodyStale(q, assetId);
    return wrote || entries;
  }
  const etag = await saveAssetObject(q, asset, ctx, {
    // Only new data counts as an update (order=recently_updated), not a change of base URL or tier.
    changed: scope === 'changed',
    // A full render (every sync) mostly leaves the object as it was.
    unlessSame: true,
  });
  return wrote || (etag !== undefined && etag !== asset.etag);
}

/**
 * Assembles the asset object an ingest marked stale (renderAsset) from its versions' stored entries, with
 * the base URLs they were rendered with, and stores it with its ETag. A read of the object calls it before
 * serving (ingest/rerender.ts renderIfStale), with the asset locked (lockAsset order: the asset, then its
 * versions), so concurrent reads assemble it once; it passes the record it read with the lock
 * (getAssetToRender), which is then not read again. Returns whether it assembled.
 */
export async function assembleAsset(q: Queryable, assetOrId: number | AssetRecord): Promise<boolean> {
  const asset = typeof assetOrId === 'number' ? await getAssetToRender(q, assetOrId) : assetOrId;
  if (!asset?.bodyStale || asset.renderedWith === null) return false;
  const ctx = JSON.parse(asset.renderedWith) as RenderContext;
  // updated_at moved when the version entered or left (markBodyStale), not when it is first read.
  await saveAssetObject(q, asset, ctx, { changed: false, unlessSame: false });
  return true;
}
