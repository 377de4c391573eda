import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseVersion } from '../../bonsai-schema/index.js';
import type { Db } from '../db/port.js';
import { digestOf } from '../artifacts/digest.js';
import { RegistryError } from '../errors.js';
import { invalidateAsset } from '../cache/names.js';
import { renderAsset, type RenderContext } from '../ingest/render.js';
import type { Cache } from '../cache/port.js';
import { findAsset, markImported, registerAsset } from '../store/assets.js';
import { appendIngestLog } from '../store/ingest-log.js';
import { isServed, listVersions, saveGoodIngest, trackRelease, type NewBuild } from '../store/versions.js';

/**
 * `bonsai registry import DIR`: loads a folder written by `bonsai mirror` (its index, bonsai-mirror.json,
 * holds the source registry's answers) into this registry. Builds keep pointing at the mirror's artifacts
 * (link mode: the URLs written in the mirror), every artifact is checked against its sha512 first, and all
 * the writes are one transaction, so a damaged mirror imports nothing.
 */
export const MIRROR_INDEX = 'bonsai-mirror.json';

const Json = z.record(z.string(), z.unknown());
const MirrorIndex = z.object({
  format: z.literal(1),
  base_url: z.string().regex(/^https?:\/\/[^/]/),
  artifacts: z.record(z.string(), z.string()),
  assets: z.record(
    z.string(),
    z.object({
      source: z.string(),
      asset: Json,
      versions: z.record(z.string(), z.object({ entry: Json, definition: Json })),
    }),
  ),
});
type MirrorIndex = z.infer<typeof MirrorIndex>;

/** The annotations every render makes itself (from this registry's URL and the asset's settings). */
const GENERATED = new Set(
  ['url', 'api_url', 'tier', 'version', 'namespace', 'name', 'tags'].map((k) => `io.sensu.bonsai.${k}`),
);

interface PlannedVersion {
  tag: string;
  fingerprint: string;
  commit: string;
  annotations: Record<string, string>;
  builds: NewBuild[];
}

interface PlannedAsset {
  namespace: string;
  name: string;
  description: string;
  githubUrl: string;
  tier: string | undefined;
  tags: string[] | undefined;
  versions: PlannedVersion[];
}

export interface ImportReport {
  base_url: string;
  assets: { name: string; imported: string[]; unchanged: string[] }[];
}

function invalid(message: string): RegistryError {
  return new RegistryError('IMPORT_INVALID', message);
}

async function readIndex(dir: string): Promise<MirrorIndex> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MIRROR_INDEX), 'utf8');
  } catch (err) {
    throw invalid(`${dir} is not a mirror: cannot read ${MIRROR_INDEX} (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(`${path.join(dir, MIRROR_INDEX)} is not JSON`);
  }
  const result = MirrorIndex.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw invalid(
      `${path.join(dir, MIRROR_INDEX)}: ${issue.path.join('.') || 'the index'}: ${issue.message}`,
    );
  }
  return result.data;
}

/** Checks one artifact in DIR against the sha512 its definition names; returns its size. */
async function verifyArtifact(
  dir: string,
  relative: string,
  sha512: string,
  version: string,
): Promise<number> {
  const file = path.resolve(dir, relative);
  if (!file.startsWith(path.resolve(dir) + path.sep)) {
    throw invalid(`the artifact path ${JSON.stringify(relative)} of ${version} leaves the mirror folder`);
  }
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new RegistryError(
      'IMPORT_CHECKSUM_MISMATCH',
      `${relative} (of ${version}) is missing from the mirror`,
    );
  }
  const actual = (await digestOf(createReadStream(file))).sha512;
  if (actual !== sha512) {
    throw new RegistryError(
      'IMPORT_CHECKSUM_MISMATCH',
      `${relative} (of ${version}) does not match its sha512: expected ${sha512.slice(0, 16)}…, found ${actual.slice(0, 16)}…`,
    );
  }
  return size;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Reads and verifies everything before any write. */
async function plan(dir: string, index: MirrorIndex): Promise<PlannedAsset[]> {
  const base = index.base_url.replace(/\/+$/, '');
  const planned: PlannedAsset[] = [];
  for (const [fullName, mirrored] of Object.entries(index.assets)) {
    const [namespace, name, ...rest] = fullName.split('/');
    if (!namespace || !name || rest.length > 0)
      throw invalid(`${JSON.stringify(fullName)} is not NAMESPACE/NAME`);
    const asset: PlannedAsset = {
      namespace,
      name,
      description: str(mirrored.asset.description) ?? '',
      githubUrl: str(mirrored.asset.github_url) ?? `${mirrored.source}/api/v1/assets/${fullName}`,
      tier: undefined,
      tags: undefined,
      versions: [],
    };
    for (const [tag, { entry, definition }] of Object.entries(mirrored.versions)) {
      const label = `${fullName}:${tag}`;
      if (!parseVersion(tag)) throw invalid(`${label}: ${JSON.stringify(tag)} is not a version`);
      const metadata = (definition.metadata ?? {}) as Record<string, unknown>;
      const allAnnotations = (metadata.annotations ?? {}) as Record<string, unknown>;
      const spec = (definition.spec ?? {}) as Record<string, unknown>;
      const defBuilds = Array.isArray(spec.builds) ? (spec.builds as Record<string, unknown>[]) : [];
      const entryBuilds = Array.isArray(entry.assets) ? (entry.assets as Record<string, unknown>[]) : [];
      if (defBuilds.length === 0) throw invalid(`${label} has no builds`);
      const builds: NewBuild[] = [];
      let commit: string | undefined;
      for (const b of defBuilds) {
        const sha512 = str(b.sha512)?.toLowerCase();
        if (!sha512 || !/^[0-9a-f]{128}$/.test(sha512))
          throw invalid(`${label}: a build has no 128-hex sha512`);
        const relative = index.artifacts[sha512];
        if (relative === undefined)
          throw invalid(`${label}: the index holds no artifact for sha512 ${sha512.slice(0, 16)}…`);
        const listed = entryBuilds.find((e) => str(e.asset_sha)?.toLowerCase() === sha512);
        const platform = str(listed?.platform);
        const arch = str(listed?.arch);
        if (!platform || !arch) throw invalid(`${label}: the build ${relative} has no platform/arch`);
        const size = await verifyArtifact(dir, relative, sha512, label);
        commit ??= /^artifacts\/([0-9a-f]{40})\//.exec(relative)?.[1];
        builds.push({
          platform,
          arch,
          assetFilename: path.posix.basename(relative),
          sha512,
          filters: Array.isArray(b.filters) ? b.filters.map(String) : [],
          size,
          sourceUrl: `${base}/${relative}`,
          mirrorPath: null,
        });
      }
      const annotations: Record<string, string> = {};
      for (const [k, v] of Object.entries(allAnnotations)) if (!GENERATED.has(k)) annotations[k] = String(v);
      asset.tier = str(allAnnotations['io.sensu.bonsai.tier']) ?? asset.tier;
      const tags = str(allAnnotations['io.sensu.bonsai.tags']);
      if (tags !== undefined)
        asset.tags = tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean);
      const fingerprint = createHash('sha256')
        .update(JSON.stringify({ base, annotations, builds }))
        .digest('hex');
      asset.versions.push({ tag, fingerprint, commit: commit ?? 'mirror', annotations, builds });
    }
    planned.push(asset);
  }
  return planned;
}

export interface ImportDeps {
  db: Db;
  cache: Cache;
  urls: RenderContext;
}

/** Imports the mirror in DIR; a second run with the same mirror changes nothing. */
export async function importMirror(deps: ImportDeps, dir: string): Promise<ImportReport> {
  const index = await readIndex(dir);
  const base = index.base_url.replace(/\/+$/, '');
  const planned = await plan(dir, index);
  const report: ImportReport = { base_url: base, assets: [] };
  await deps.db.transaction(async (tx) => {
    for (const a of planned) {
      const fullName = `${a.namespace}/${a.name}`;
      const existing = await findAsset(tx, a.namespace, a.name);
      if (existing && existing.importedFrom === null) {
        throw new RegistryError(
          'IMPORT_CONFLICT',
          `${existing.namespace}/${existing.name} is synced from GitHub here`,
        );
      }
      const { asset } = await registerAsset(tx, a.namespace, a.name, {
        description: a.description,
        tier: a.tier,
        tags: a.tags,
      });
      await markImported(tx, asset.id, { baseUrl: base, description: a.description, githubUrl: a.githubUrl });
      const known = new Map((await listVersions(tx, asset.id)).map((v) => [v.tag, v]));
      const done = { name: fullName, imported: [] as string[], unchanged: [] as string[] };
      for (const v of a.versions) {
        const stored = known.get(v.tag);
        if (stored && isServed(stored) && stored.fingerprint === v.fingerprint) {
          done.unchanged.push(v.tag);
          continue;
        }
        const row = await trackRelease(tx, asset.id, v.tag, {
          releaseId: `mirror:${v.tag}`,
          prerelease: (parseVersion(v.tag)?.prerelease ?? '') !== '',
        });
        await saveGoodIngest(tx, row.id, {
          fingerprint: v.fingerprint,
          commitSha: v.commit,
          annotations: v.annotations,
          labels: {},
          warnings: [],
          builds: v.builds,
        });
        await appendIngestLog(tx, asset.id, {
          tag: v.tag,
          jobId: null,
          outcome: 'imported',
          commitSha: v.commit,
          message: `${v.builds.length} build(s) imported from mirror ${base}`,
          diagnostics: [],
        });
        done.imported.push(v.tag);
      }
      // Settings (tier, tags, description) may have changed too: render every version again.
      await renderAsset(tx, asset.id, deps.urls, 'all');
      report.assets.push(done);
    }
  });
  for (const a of planned) await invalidateAsset(deps.cache, a);
  return report;
}
