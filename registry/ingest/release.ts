import {
  compileRelease,
  diagnostic,
  errorsOf,
  parseBonsaiConfig,
  parseVersion,
  pickConfigFile,
  planRelease,
  unparseableVersions,
  warningsOf,
  type Diagnostic,
} from '../../bonsai-schema/index.js';
import type { Artifacts } from '../artifacts/port.js';
import type { GitHub, Release, ReleaseFile } from '../github/port.js';
import type { NewBuild } from '../store/versions.js';
import { ArtifactTooLargeError, measureDownload, readText, type Measured } from './download.js';

/** Checksum files are small text; anything bigger is not one. */
const MAX_CHECKSUM_FILE_SIZE = 1024 * 1024;

export interface ReleaseIngestDeps {
  github: GitHub;
  artifacts: Artifacts;
  maxArtifactSize: number;
}

export interface ReleaseTarget {
  owner: string;
  repo: string;
  release: Release;
  /** The commit the tag points at. */
  commit: string;
}

export type ReleaseIngest =
  | {
      ok: true;
      configFile: string;
      annotations: Record<string, string>;
      labels: Record<string, string>;
      warnings: Diagnostic[];
      builds: NewBuild[];
    }
  | { ok: false; configFile: string | undefined; errors: Diagnostic[]; warnings: Diagnostic[] };

function failed(configFile: string | undefined, diagnostics: readonly Diagnostic[]): ReleaseIngest {
  return { ok: false, configFile, errors: errorsOf(diagnostics), warnings: warningsOf(diagnostics) };
}

/** A version string sensuctl can read; others are recorded as ingest errors and never listed. */
export function unparseableTag(tag: string): Diagnostic[] {
  return parseVersion(tag) === undefined ? unparseableVersions([tag]) : [];
}

/**
 * Ingests one release (COMPAT §1, §2, §5): bonsai.yml at the tag's commit, the bonsai-schema compile (the
 * same function as `bonsai check`) against the release's files and checksum files, then every artifact
 * downloaded, size-limited and re-hashed; in mirror mode the verified bytes are kept. Content problems
 * come back as errors; GitHub failures throw (the job retries later).
 */
export async function ingestRelease(deps: ReleaseIngestDeps, target: ReleaseTarget): Promise<ReleaseIngest> {
  const { owner, repo, release, commit } = target;
  const tagProblems = unparseableTag(release.tag);
  if (tagProblems.length > 0) return failed(undefined, tagProblems);

  const picked = pickConfigFile(await deps.github.listRootFiles(owner, repo, commit));
  if (picked.name === undefined) return failed(undefined, picked.diagnostics);
  const configFile = picked.name;
  const text = await deps.github.readFile(owner, repo, configFile, commit);
  if (text === undefined) {
    return failed(configFile, [
      diagnostic(
        'CONFIG_NOT_FOUND',
        `cannot find a Bonsai configuration file: ${configFile} vanished at ${commit}`,
      ),
    ]);
  }
  const parsed = parseBonsaiConfig(text);
  if (!parsed.config) return failed(configFile, [...picked.diagnostics, ...parsed.diagnostics]);
  const config = parsed.config;

  const filesByName = new Map(release.files.map((f) => [f.name, f]));
  const checksumFiles: Record<string, string> = {};
  for (const name of planRelease(config, { repo, tag: release.tag }).checksumFiles) {
    const file = filesByName.get(name);
    if (file) {
      checksumFiles[name] = await readText(
        await deps.github.downloadReleaseFile(owner, repo, file),
        MAX_CHECKSUM_FILE_SIZE,
      );
    }
  }
  const compiled = compileRelease(config, {
    repo,
    tag: release.tag,
    releaseFileNames: release.files.map((f) => f.name),
    checksumFiles,
  });
  const diagnostics = [...picked.diagnostics, ...parsed.diagnostics, ...compiled.diagnostics];
  if (!compiled.ok) return failed(configFile, diagnostics);

  // Every artifact is downloaded and hashed (Bonsai never did); one file shared by builds is fetched once.
  const verified = new Map<string, { measured: Measured; mirrorPath: string | null } | Diagnostic>();
  for (const build of compiled.builds) {
    if (verified.has(build.assetFilename)) continue;
    const file = filesByName.get(build.assetFilename)!;
    verified.set(build.assetFilename, await verifyArtifact(deps, target, file, build.sha512));
  }
  const problems = [...verified.values()].filter((v): v is Diagnostic => 'code' in v);
  if (problems.length > 0) return failed(configFile, [...diagnostics, ...problems]);

  const builds: NewBuild[] = compiled.builds.map((build) => {
    const v = verified.get(build.assetFilename) as { measured: Measured; mirrorPath: string | null };
    return {
      platform: build.platform,
      arch: build.arch,
      assetFilename: build.assetFilename,
      sha512: build.sha512,
      filters: build.filters,
      size: v.measured.size,
      sourceUrl: filesByName.get(build.assetFilename)!.browserDownloadUrl,
      mirrorPath: v.mirrorPath,
    };
  });
  return {
    ok: true,
    configFile,
    annotations: config.annotations,
    labels: config.labels,
    warnings: warningsOf(diagnostics),
    builds,
  };
}

async function verifyArtifact(
  deps: ReleaseIngestDeps,
  target: ReleaseTarget,
  file: ReleaseFile,
  expected: string,
): Promise<{ measured: Measured; mirrorPath: string | null } | Diagnostic> {
  const sink = await deps.artifacts.openSink(target.commit, file.name);
  try {
    const body = await deps.github.downloadReleaseFile(target.owner, target.repo, file);
    const measured = await measureDownload(body, deps.maxArtifactSize, sink?.stream);
    if (measured.sha512 !== expected.toLowerCase()) {
      await sink?.discard();
      return diagnostic(
        'ARCHIVE_DIGEST_MISMATCH',
        `the sha512 of ${file.name} as downloaded (${measured.sha512}) differs from its checksum file ` +
          `(${expected.toLowerCase()}); re-upload the file or fix the checksum file`,
      );
    }
    return { measured, mirrorPath: sink ? await sink.keep() : null };
  } catch (err) {
    await sink?.discard();
    if (err instanceof ArtifactTooLargeError) {
      return diagnostic(
        'ARTIFACT_TOO_LARGE',
        `${file.name} is ${err.message} (MAX_ARTIFACT_SIZE); it was not downloaded whole`,
      );
    }
    throw err;
  }
}
