import { latestStable, sortVersions } from '../../bonsai-schema/index.js';

/**
 * Where a static mirror keeps each thing, and the JSON it serves there: the Bonsai API paths, rendered
 * from the source registry's own answers with every URL moved to the mirror's base URL.
 *
 * A static server cannot hold `api/v1/assets/NS/NAME` both as a file and as the folder of its versions,
 * so the asset object is `NAME/index.html`: nginx, S3 websites, `python3 -m http.server` redirect
 * `.../NAME` to `.../NAME/` and serve it, and sensuctl and `bonsai add` follow the redirect.
 */
export const ASSETS_DIR = 'api/v1/assets';
export const DIRECTORY_INDEX = 'index.html';

export type Json = Record<string, unknown>;

/** What the mirror holds, recorded in INDEX_FILE: the raw source answers, so any base URL can be rendered. */
export interface MirrorIndex {
  format: 1;
  base_url: string;
  updated_at: string;
  /** sha512 → the artifact's path inside the mirror. */
  artifacts: Record<string, string>;
  /** `ns/name` → what the source registry said about it, for the versions mirrored. */
  assets: Record<string, MirroredAsset>;
}

export interface MirroredAsset {
  /** The source registry base URL it was mirrored from. */
  source: string;
  /** The API asset object without `versions`. */
  asset: Json;
  /** Version → its `versions[]` entry (builds of the chosen platforms) and multi-build definition. */
  versions: Record<string, { entry: Json; definition: Json }>;
}

const COMMIT_URL = /\/([0-9a-f]{40})\/([^/]+)$/;
const SAFE_SEGMENT = /^(?!\.+$)[\w.+-]+$/;

export function isSafeSegment(segment: string): boolean {
  return SAFE_SEGMENT.test(segment);
}

/**
 * `artifacts/COMMIT/FILE` when the source URL has Bonsai's CDN shape (`.../COMMIT/FILE`, also ours in
 * mirror mode); otherwise `artifacts/sha512/SHA512/FILE`. Both are stable: same bytes, same path.
 */
export function artifactPath(url: string, sha512: string): string {
  let pathname = '';
  try {
    pathname = new URL(url).pathname;
  } catch {
    // an unparseable URL still gets a content-addressed path
  }
  const file = safeFileName(decodeURIComponent(pathname.split('/').pop() ?? ''));
  const commit = COMMIT_URL.exec(pathname);
  return commit ? `artifacts/${commit[1]}/${file}` : `artifacts/sha512/${sha512.toLowerCase()}/${file}`;
}

function safeFileName(name: string): string {
  const cleaned = name.replace(/[^\w.+-]/g, '_');
  return isSafeSegment(cleaned) ? cleaned : 'artifact.tar.gz';
}

/** Moves every URL of the source registry to the mirror, and each artifact URL to its mirrored copy. */
export class Rewriter {
  constructor(
    private readonly base: string,
    private readonly prefixes: readonly string[],
    private readonly artifacts: Record<string, string>,
  ) {}

  artifactUrl(sha512: unknown, fallback: unknown): unknown {
    const path = typeof sha512 === 'string' ? this.artifacts[sha512.toLowerCase()] : undefined;
    return path === undefined ? this.value(fallback) : `${this.base}/${path}`;
  }

  value(value: unknown): unknown {
    if (typeof value === 'string') {
      const prefix = this.prefixes.find((p) => value === p || value.startsWith(p + '/'));
      return prefix === undefined ? value : this.base + value.slice(prefix.length);
    }
    if (Array.isArray(value)) return value.map((v) => this.value(v));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v)]));
    }
    return value;
  }
}

/** The public base of a registry from an asset's own API URL (`BASE/api/v1/assets/NS/NAME`). */
export function publicBase(asset: Json): string | undefined {
  const url = typeof asset.url === 'string' ? asset.url : '';
  const at = url.indexOf('/api/v1/assets/');
  return at > 0 ? url.slice(0, at) : undefined;
}

export interface RenderedFile {
  path: string;
  text: string;
}

/** Every API file of one mirrored asset, at the paths the Bonsai API answers. */
export function renderAsset(
  fullName: string,
  mirrored: MirroredAsset,
  base: string,
  artifacts: Record<string, string>,
): RenderedFile[] {
  const prefixes = [mirrored.source, publicBase(mirrored.asset)].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  const rewrite = new Rewriter(base, prefixes, artifacts);
  const dir = `${ASSETS_DIR}/${fullName}`;
  const versions = sortVersions(Object.keys(mirrored.versions));
  const files: RenderedFile[] = [];
  const entries = versions.map((version) => {
    const { entry } = mirrored.versions[version]!;
    const builds = Array.isArray(entry.assets) ? (entry.assets as Json[]) : [];
    return {
      ...(rewrite.value(entry) as Json),
      assets: builds.map((b) => ({
        ...(rewrite.value(b) as Json),
        asset_url: rewrite.artifactUrl(b.asset_sha, b.asset_url),
      })),
    };
  });
  const assetObject = { ...(rewrite.value(mirrored.asset) as Json), versions: entries };
  files.push({ path: `${dir}/${DIRECTORY_INDEX}`, text: JSON.stringify(assetObject) });

  for (const [i, version] of versions.entries()) {
    const { definition } = mirrored.versions[version]!;
    const rendered = rewrite.value(definition) as Json;
    const spec = rendered.spec as Json | undefined;
    const sourceSpec = definition.spec as Json | undefined;
    if (spec && Array.isArray(sourceSpec?.builds)) {
      spec.builds = (sourceSpec.builds as Json[]).map((b) => ({
        ...(rewrite.value(b) as Json),
        url: rewrite.artifactUrl(b.sha512, b.url),
      }));
    }
    const text = JSON.stringify(rendered);
    // The registry also answers the other `v` spelling and `latest`; a static copy does the same.
    const spellings = new Set([version, version.startsWith('v') ? version.slice(1) : `v${version}`]);
    for (const spelling of spellings) files.push({ path: `${dir}/${spelling}/release_asset_builds`, text });
    for (const build of (entries[i]!.assets as Json[]) ?? []) {
      const platform = String(build.platform ?? '');
      const arch = String(build.arch ?? '');
      if (!isSafeSegment(platform) || !isSafeSegment(arch)) continue;
      const single = singleBuild(fullName, build);
      for (const spelling of spellings) {
        files.push({ path: `${dir}/${spelling}/${platform}/${arch}/release_asset`, text: single });
      }
    }
  }
  const latest = latestStable(versions);
  if (latest !== undefined) {
    files.push({
      path: `${dir}/latest/release_asset_builds`,
      text: files.find((f) => f.path === `${dir}/${latest}/release_asset_builds`)!.text,
    });
  }
  return files;
}

/** The single-build form (`.../PLATFORM/ARCH/release_asset`) from a rendered API build. */
function singleBuild(fullName: string, build: Json): string {
  const name = fullName.split('/')[1]!;
  return JSON.stringify({
    type: 'Asset',
    api_version: 'core/v2',
    metadata: {
      name: `${name}_${String(build.platform)}_${String(build.arch)}`,
      labels: null,
      annotations: build.annotations ?? {},
    },
    spec: { url: build.asset_url, sha512: build.asset_sha, filters: build.filter ?? [] },
  });
}

/** The list endpoint (`GET /api/v1/assets`), one page holding every mirrored asset. */
export function renderList(assetFiles: RenderedFile[]): RenderedFile {
  const assets = assetFiles
    .filter((f) => f.path.endsWith(`/${DIRECTORY_INDEX}`))
    .map((f) => JSON.parse(f.text) as Json);
  return {
    path: `${ASSETS_DIR}/${DIRECTORY_INDEX}`,
    text: JSON.stringify({ start: 0, total: assets.length, assets }),
  };
}
