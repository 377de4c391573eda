import {
  apiAsset,
  bonsaiAnnotations,
  multiBuildDefinition,
  pathSegment,
  singleBuildDefinition,
  sortVersions,
  toDefinitionJson,
  toDefinitionYaml,
  type ApiVersionInput,
  type DefinitionBuildInput,
} from '../../bonsai-schema/index.js';
import type { Queryable } from '../db/port.js';
import { strongEtag } from '../http/etags.js';
import { getAsset, saveAssetRender } from '../store/assets.js';
import {
  loadServedVersions,
  saveBuildRender,
  saveVersionRender,
  type StoredBuild,
} from '../store/versions.js';

/** The base URLs every render embeds; when they change, everything is rendered again. */
export interface RenderContext {
  publicUrl: string;
  artifactsUrl: string;
}

/** A mirrored build points at the artifacts base (Bonsai's `<host>/<commit>/<file>`), else at GitHub. */
export function buildUrl(build: Pick<StoredBuild, 'mirrorPath' | 'sourceUrl'>, ctx: RenderContext): string {
  if (build.mirrorPath === null) return build.sourceUrl;
  const [commit, ...file] = build.mirrorPath.split('/');
  return `${ctx.artifactsUrl}/${commit}/${pathSegment(file.join('/'))}`;
}

/**
 * Renders an asset at write time: each version's multi-build definition, each build's single-build JSON
 * and YAML, and the API asset object (versions in go-version order), each stored with its strong ETag.
 * `scope: 'changed'` renders only versions without a render (just ingested); `'all'` renders every one
 * (the asset's settings or the base URLs changed). Run it inside the transaction that changed the data.
 * Returns whether any stored render changed (then the asset's cache entries must be dropped).
 */
export async function renderAsset(
  q: Queryable,
  assetId: number,
  ctx: RenderContext,
  scope: 'changed' | 'all',
): Promise<boolean> {
  const asset = await getAsset(q, assetId);
  if (!asset) return false;
  let wrote = false;
  const served = await loadServedVersions(q, assetId);
  const byTag = new Map(served.map((s) => [s.version.tag, s]));
  const versions: ApiVersionInput[] = [];
  for (const tag of sortVersions([...byTag.keys()])) {
    const { version, etag, builds } = byTag.get(tag)!;
    const annotations = bonsaiAnnotations({
      baseUrl: ctx.publicUrl,
      namespace: asset.namespace,
      name: asset.name,
      version: tag,
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
    if (scope === 'all' || etag === null) {
      const multi = toDefinitionJson(multiBuildDefinition({ name: asset.name, annotations, builds: inputs }));
      const multiEtag = strongEtag(multi);
      if (multiEtag !== etag) {
        await saveVersionRender(q, version.id, { body: multi, etag: multiEtag });
        wrote = true;
      }
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
    }
    versions.push({
      version: tag,
      annotations,
      builds: inputs.map((input) => ({ ...input, lastModified: version.ingestedAt ?? version.createdAt })),
    });
  }
  const body = JSON.stringify(
    apiAsset({
      baseUrl: ctx.publicUrl,
      namespace: asset.namespace,
      name: asset.name,
      description: asset.description,
      githubUrl: asset.githubUrl,
      deprecated: asset.deprecated,
      versions,
    }),
  );
  if (body !== asset.body) {
    // Only new data counts as an update (order=recently_updated), not a change of base URL or tier.
    await saveAssetRender(q, assetId, { body, etag: strongEtag(body) }, scope === 'changed');
    wrote = true;
  }
  return wrote;
}
