import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseVersion, sensuctlVersion, sortVersions } from '../../bonsai-schema/index.js';
import { BonsaiApiClient } from '../bonsai-api/client.js';
import { PackagerError } from '../errors.js';
import { writeFileAtomically } from '../fs/write-atomically.js';
import type { AssetReference } from '../commands/add/asset-reference.js';
import { downloadVerified } from './download.js';
import { INDEX_FILE } from './index-file.js';
import {
  artifactPath,
  isSafeSegment,
  renderAsset,
  renderList,
  type Json,
  type MirrorIndex,
  type MirroredAsset,
} from './layout.js';

export interface MirrorRequest {
  references: AssetReference[];
  from: string;
  out: string;
  baseUrl: string | undefined;
  /** `os/arch` pairs, compared case-insensitively; empty for every build. */
  platforms: string[];
  timeoutMs: number;
  /** Progress as work goes on (the CLI shows it on a terminal). */
  onProgress?: (text: string) => void;
  onNotice?: (text: string) => void;
}

export interface MirrorResult {
  out: string;
  baseUrl: string;
  assets: { name: string; versions: string[] }[];
  downloaded: { path: string; bytes: number }[];
  /** Artifacts the run needed that the mirror already held. */
  present: number;
  files: number;
}

interface Artifact {
  sha512: string;
  url: string;
  path: string;
}

/**
 * Copies the chosen assets of a Bonsai-compatible registry into `out` as a static registry. Artifacts are
 * downloaded into a staging folder and checked; only when every one matches are they moved in, then the
 * API files are written and the index last, so a failed run leaves the mirror as it was.
 */
export async function mirror(request: MirrorRequest): Promise<MirrorResult> {
  const out = request.out;
  const index = await readIndex(out);
  const baseUrl = (request.baseUrl ?? index?.base_url)?.replace(/\/+$/, '');
  if (baseUrl === undefined) {
    throw new PackagerError('MIRROR_BASE_URL_MISSING', `--base-url is needed: ${out} holds no mirror yet`, {
      hint: 'give the URL the folder will be served at, e.g. --base-url https://assets.example.internal (later runs reuse it)',
    });
  }
  const client = new BonsaiApiClient(request.from, request.timeoutMs);
  const source = client.assetsUrl.replace(/\/api\/v1\/assets$/, '');
  const artifacts: Record<string, string> = { ...(index?.artifacts ?? {}) };
  const assets: Record<string, MirroredAsset> = { ...(index?.assets ?? {}) };
  const needed = new Map<string, Artifact>();
  const summary: MirrorResult['assets'] = [];

  for (const reference of request.references) {
    const fetched = await fetchAsset(client, reference, request);
    const fullName = fetched.name;
    const previous = assets[fullName];
    const versions = { ...(previous?.source === source ? previous.versions : {}) };
    for (const [version, data] of Object.entries(fetched.versions)) {
      versions[version] = data;
      for (const artifact of artifactsOf(data, artifacts)) needed.set(artifact.sha512, artifact);
    }
    assets[fullName] = { source, asset: fetched.asset, versions };
    summary.push({ name: fullName, versions: sortVersions(Object.keys(fetched.versions)) });
  }

  const missing: Artifact[] = [];
  for (const artifact of needed.values()) {
    if (!(await isFile(path.join(out, artifact.path)))) missing.push(artifact);
  }
  const downloaded = await downloadAll(out, missing, request);
  for (const artifact of needed.values()) artifacts[artifact.sha512] = artifact.path;

  const files = Object.entries(assets)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([name, mirrored]) => renderAsset(name, mirrored, baseUrl, artifacts));
  files.push(renderList(files));
  const next: MirrorIndex = {
    format: 1,
    base_url: baseUrl,
    updated_at: new Date().toISOString(),
    artifacts,
    assets,
  };
  files.push({ path: INDEX_FILE, text: JSON.stringify(next, null, 2) + '\n' });
  for (const file of files) await writeOut(out, file.path, file.text);
  return {
    out,
    baseUrl,
    assets: summary,
    downloaded,
    present: needed.size - missing.length,
    files: files.length,
  };
}

interface FetchedAsset {
  name: string;
  asset: Json;
  versions: Record<string, { entry: Json; definition: Json }>;
}

/** The asset object and, for each chosen version, its entry and definition reduced to the chosen platforms. */
async function fetchAsset(
  client: BonsaiApiClient,
  reference: AssetReference,
  request: MirrorRequest,
): Promise<FetchedAsset> {
  const label = `${reference.namespace}/${reference.name}`;
  request.onProgress?.(`reading ${label}`);
  const raw = await client.fetchAsset(reference.namespace, reference.name);
  const name = typeof raw.name === 'string' && raw.name.split('/').every(isSafeSegment) ? raw.name : label;
  if (!name.split('/').every(isSafeSegment) || name.split('/').length !== 2) {
    throw new PackagerError('ADD_BAD_NAME', `${JSON.stringify(name)} cannot be a folder name in a mirror`);
  }
  const listedEntries = (Array.isArray(raw.versions) ? raw.versions : []).filter(
    (v): v is Json => typeof v === 'object' && v !== null && typeof (v as Json).version === 'string',
  );
  const listed = listedEntries.map((v) => v.version as string);
  const parseable = listed.filter((v) => parseVersion(v) !== undefined);
  let chosen: string[];
  if (reference.version === undefined && !reference.latest) {
    chosen = parseable;
  } else {
    const choice = sensuctlVersion(reference.version, listed);
    if (choice.kind === 'found') chosen = [choice.version];
    else if (choice.kind === 'not-found') {
      throw new PackagerError(
        'ASSET_VERSION_NOT_FOUND',
        `version "${reference.version}" of asset "${name}" does not exist\navailable versions: ` +
          (choice.available.join(', ') || '(none)'),
      );
    } else chosen = [];
  }
  if (chosen.length === 0) {
    throw new PackagerError('ASSET_NO_VERSIONS', `asset "${name}" does not have any available versions`, {
      hint: 'the registry lists no version it can parse: has a release been ingested?',
    });
  }
  const { versions: _versions, ...asset } = raw;
  const versions: FetchedAsset['versions'] = {};
  for (const version of chosen) {
    const entry = listedEntries.find((v) => v.version === version)!;
    const builds = (Array.isArray(entry.assets) ? (entry.assets as Json[]) : []).filter((b) =>
      wanted(b, request.platforms),
    );
    if (builds.length === 0) {
      request.onNotice?.(`${name}:${version} has no build for ${request.platforms.join(', ')}; skipped`);
      continue;
    }
    request.onProgress?.(`reading ${name}:${version}`);
    const definition = await client.fetchDefinition(reference.namespace, reference.name, version);
    const spec = definition.spec as Json | undefined;
    const shas = new Set(builds.map((b) => String(b.asset_sha).toLowerCase()));
    if (!spec || !Array.isArray(spec.builds)) {
      throw new PackagerError(
        'ASSET_DEFINITION_INVALID',
        `the definition of ${name}:${version} has no spec.builds to mirror`,
      );
    }
    const definitionBuilds = (spec.builds as Json[]).filter(
      (b) => request.platforms.length === 0 || shas.has(String(b.sha512).toLowerCase()),
    );
    versions[version] = {
      entry: { ...entry, assets: builds },
      definition: { ...definition, spec: { ...spec, builds: definitionBuilds } },
    };
  }
  if (Object.keys(versions).length === 0) {
    throw new PackagerError(
      'MIRROR_NO_BUILDS',
      `no build of ${name} matches --platform ${request.platforms.join(', ')}`,
      { hint: "platforms are the builds' platform/arch as the registry lists them, e.g. linux/amd64" },
    );
  }
  return { name, asset, versions };
}

function wanted(build: Json, platforms: string[]): boolean {
  if (platforms.length === 0) return true;
  const pair = `${String(build.platform)}/${String(build.arch)}`.toLowerCase();
  return platforms.some((p) => p.toLowerCase() === pair);
}

/** Each artifact a version needs (definition builds first: those are the URLs the agent fetches). */
function artifactsOf(data: { entry: Json; definition: Json }, known: Record<string, string>): Artifact[] {
  const fromDefinition = ((data.definition.spec as Json).builds as Json[]).map((b) => [b.sha512, b.url]);
  const fromEntry = (data.entry.assets as Json[]).map((b) => [b.asset_sha, b.asset_url]);
  const found = new Map<string, Artifact>();
  for (const [sha, url] of [...fromDefinition, ...fromEntry]) {
    if (typeof sha !== 'string' || !/^[0-9a-fA-F]{128}$/.test(sha) || typeof url !== 'string') {
      throw new PackagerError(
        'ASSET_DEFINITION_INVALID',
        `a build of ${String(data.entry.version)} has no usable url and 128-hex sha512 (${JSON.stringify(sha)})`,
      );
    }
    const sha512 = sha.toLowerCase();
    if (!found.has(sha512))
      found.set(sha512, { sha512, url, path: known[sha512] ?? artifactPath(url, sha512) });
  }
  return [...found.values()];
}

/** Downloads into a staging folder inside `out`; moves everything in only when every artifact checked out. */
async function downloadAll(
  out: string,
  missing: Artifact[],
  request: MirrorRequest,
): Promise<MirrorResult['downloaded']> {
  if (missing.length === 0) return [];
  const staging = path.join(out, `.bonsai-mirror-${randomBytes(6).toString('hex')}.partial`);
  try {
    await mkdir(staging, { recursive: true });
  } catch (err) {
    throw writeFailed(out, err);
  }
  const done: MirrorResult['downloaded'] = [];
  try {
    for (const [i, artifact] of missing.entries()) {
      const label = `[${i + 1}/${missing.length}] ${artifact.path}`;
      const bytes = await downloadVerified(artifact.url, artifact.sha512, path.join(staging, String(i)), {
        idleTimeoutMs: request.timeoutMs,
        onBytes: (received, total) =>
          request.onProgress?.(`${label} ${mib(received)}${total === undefined ? '' : ` of ${mib(total)}`}`),
      });
      done.push({ path: artifact.path, bytes });
    }
    for (const [i, artifact] of missing.entries()) {
      const target = path.join(out, artifact.path);
      await mkdir(path.dirname(target), { recursive: true });
      await rename(path.join(staging, String(i)), target);
    }
  } catch (err) {
    if (err instanceof PackagerError) throw err;
    throw writeFailed(out, err);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return done;
}

async function writeOut(out: string, file: string, text: string): Promise<void> {
  try {
    await mkdir(path.dirname(path.join(out, file)), { recursive: true });
    await writeFileAtomically(out, file, text);
  } catch (err) {
    throw writeFailed(path.join(out, file), err);
  }
}

async function readIndex(out: string): Promise<MirrorIndex | undefined> {
  const file = path.join(out, INDEX_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PackagerError('MIRROR_INDEX_INVALID', `cannot read ${file}: ${(err as Error).message}`, {
      hint: 'check that --out is a folder you can read and write',
      cause: err,
    });
  }
  try {
    const index = JSON.parse(text) as MirrorIndex;
    if (index.format === 1 && typeof index.base_url === 'string' && index.assets && index.artifacts)
      return index;
  } catch {
    // reported below
  }
  throw new PackagerError('MIRROR_INDEX_INVALID', `${file} is not a mirror index this bonsai can read`, {
    hint: `the folder was not written by bonsai mirror, or the file was edited: mirror into an empty folder, or remove ${INDEX_FILE} to start over`,
  });
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function writeFailed(where: string, err: unknown): PackagerError {
  return new PackagerError('MIRROR_WRITE_FAILED', `cannot write ${where}: ${(err as Error).message}`, {
    hint: 'check that --out is a folder you can write to, with room for the artifacts',
    cause: err,
  });
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
