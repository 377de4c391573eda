import { parseChecksums, selectChecksum } from './checksums.js';
import type { BonsaiConfig, BuildConfig } from './config.js';
import { diagnostic, errorsOf, type Diagnostic, type Position } from './diagnostics.js';
import { releaseFileNameProblem } from './file-names.js';
import { interpolate, type InterpolationVars } from './interpolate.js';

export interface ReleaseContext {
  /** The GitHub repository name (`#{repo}`); an `owner/` prefix is dropped. */
  repo: string;
  /** The git tag verbatim (`#{version}`). */
  tag: string;
}

/** A build of bonsai.yml with its file names interpolated for one repo and tag. */
export type PlannedBuild = Pick<
  BuildConfig,
  'number' | 'platform' | 'arch' | 'assetFilename' | 'shaFilename' | 'filters'
>;

export interface CompiledBuild extends PlannedBuild {
  /** Lowercase hex, as read from the checksum file. */
  sha512: string;
  /** Its line in the checksum file. */
  checksumLine: number;
}

/**
 * The largest checksum file read (1 MiB): one is a line per archive, and the registry will not download
 * more. Both `bonsai check` and ingest leave a larger one unread and name it in `checksumFilesTooLarge`.
 */
export const MAX_CHECKSUM_FILE_BYTES = 1024 * 1024;

export interface ReleaseFiles extends ReleaseContext {
  /** Every file attached to the release (or present in the dist folder). */
  releaseFileNames: readonly string[];
  /** Checksum file name → its text, for every checksum file named by a build that exists in the release. */
  checksumFiles: Readonly<Record<string, string>>;
  /** Checksum files left unread because they pass MAX_CHECKSUM_FILE_BYTES. */
  checksumFilesTooLarge?: readonly string[];
}

export interface CompileResult {
  ok: boolean;
  /** Every build when `ok`; empty otherwise, so nothing half-compiled can be served. */
  builds: CompiledBuild[];
  diagnostics: Diagnostic[];
}

/**
 * The file names each build expects for this repo and tag, and the checksum files to fetch before
 * compiling. Unknown tokens cannot reach here: `parseBonsaiConfig` refuses them.
 */
export function planRelease(
  config: BonsaiConfig,
  context: ReleaseContext,
): { builds: PlannedBuild[]; checksumFiles: string[]; diagnostics: Diagnostic[] } {
  const vars = variables(context);
  const diagnostics: Diagnostic[] = [];
  const builds = config.builds.map((build) => {
    const asset = interpolate(
      build.assetFilename,
      vars,
      `build #${build.number} 'asset_filename'`,
      build.positions.assetFilename,
    );
    const sha = interpolate(
      build.shaFilename,
      vars,
      `build #${build.number} 'sha_filename'`,
      build.positions.shaFilename,
    );
    diagnostics.push(...asset.diagnostics, ...sha.diagnostics);
    // A tag can bring a separator the template did not have (`release/1.0`); an empty name was reported
    // by interpolate (INTERPOLATION_EMPTY).
    for (const [field, value, at] of [
      ['asset_filename', asset.value, build.positions.assetFilename],
      ['sha_filename', sha.value, build.positions.shaFilename],
    ] as const) {
      if (value.trim() !== '' && releaseFileNameProblem(value) !== undefined) {
        diagnostics.push(invalidFileName(build.number, field, value, at));
      }
    }
    return {
      number: build.number,
      platform: build.platform,
      arch: build.arch,
      assetFilename: asset.value,
      shaFilename: sha.value,
      filters: build.filters,
    };
  });
  const checksumFiles = [...new Set(builds.map((b) => b.shaFilename))];
  return { builds, checksumFiles, diagnostics };
}

/**
 * Compiles a release the way Bonsai's ingest does (sensu/bonsai CompileGithubExtensionVersionConfig): for
 * each build, its interpolated asset file and checksum file must be attached to the release and the
 * checksum file must hold the asset's sha512. Unlike Bonsai, which stops at the first problem, every
 * problem is reported, each at its line in bonsai.yml.
 */
export function compileRelease(config: BonsaiConfig, release: ReleaseFiles): CompileResult {
  const plan = planRelease(config, release);
  const diagnostics = [...plan.diagnostics];
  const present = new Set(release.releaseFileNames);
  const parsedChecksums = new Map<string, ReturnType<typeof parseChecksums>>();
  const tooLarge = new Set<string>();
  const builds: CompiledBuild[] = [];

  plan.builds.forEach((build, index) => {
    const source = config.builds[index] as BuildConfig;
    // planRelease reported these names; such a build cannot be looked up in the release.
    if ([build.assetFilename, build.shaFilename].some((n) => releaseFileNameProblem(n) !== undefined)) return;
    const assetMissing = !present.has(build.assetFilename);
    const shaMissing = !present.has(build.shaFilename);
    if (assetMissing) {
      diagnostics.push(
        missingFile('RELEASE_ASSET_MISSING', build.assetFilename, release, source.positions.assetFilename),
      );
    }
    if (shaMissing) {
      diagnostics.push(
        missingFile('CHECKSUM_FILE_MISSING', build.shaFilename, release, source.positions.shaFilename),
      );
    }
    if (assetMissing || shaMissing) return;

    const text = release.checksumFiles[build.shaFilename];
    if (release.checksumFilesTooLarge?.includes(build.shaFilename)) {
      if (tooLarge.has(build.shaFilename)) return; // said once, at the first build naming it
      tooLarge.add(build.shaFilename);
      diagnostics.push(
        diagnostic(
          'CHECKSUM_FILE_TOO_LARGE',
          `cannot extract the SHA for ${build.assetFilename}: the checksum file ${build.shaFilename} is larger ` +
            `than ${MAX_CHECKSUM_FILE_BYTES} bytes (1 MiB), so it was not read; a checksum file holds one line ` +
            'per archive: attach the one bonsai pack or goreleaser wrote',
          source.positions.shaFilename,
        ),
      );
      return;
    }
    if (text === undefined) {
      diagnostics.push(
        diagnostic(
          'CHECKSUM_FILE_MISSING',
          `cannot extract the SHA for ${build.assetFilename}: the checksum file ${build.shaFilename} could not be read`,
          source.positions.shaFilename,
        ),
      );
      return;
    }
    let parsed = parsedChecksums.get(build.shaFilename);
    if (!parsed) {
      parsed = parseChecksums(text, build.shaFilename);
      parsedChecksums.set(build.shaFilename, parsed);
      diagnostics.push(...parsed.diagnostics);
    }
    const selected = selectChecksum(parsed, build.assetFilename);
    if ('diagnostic' in selected) {
      // Reported at the build's sha_filename, where the author can act on it.
      const { code, message } = selected.diagnostic;
      diagnostics.push(diagnostic(code, message, source.positions.shaFilename));
      return;
    }
    builds.push({ ...build, sha512: selected.sha512, checksumLine: selected.line });
  });

  const ok = errorsOf(diagnostics).length === 0;
  return { ok, builds: ok ? builds : [], diagnostics };
}

/** A file name no release can carry (`dist/x.tar.gz`): said as such rather than as a missing file. */
function invalidFileName(build: number, field: string, name: string, at: Position): Diagnostic {
  return diagnostic(
    'RELEASE_FILE_NAME_INVALID',
    `build #${build} '${field}' gives '${name}', which cannot be a release file name: it ` +
      `${releaseFileNameProblem(name)}; release files have plain names (e.g. "#{repo}_#{version}_linux_amd64.tar.gz")`,
    at,
  );
}

function variables(context: ReleaseContext): InterpolationVars {
  const slash = context.repo.lastIndexOf('/');
  return { repo: slash >= 0 ? context.repo.slice(slash + 1) : context.repo, version: context.tag };
}

/**
 * Bonsai's "missing GitHub release asset for <file>", plus the reason when the tag's spelling explains it:
 * `#{version}` is the tag verbatim, so tag `v1.2.3` looks for `x_v1.2.3_...` while goreleaser names files
 * `x_1.2.3_...`.
 */
function missingFile(
  code: 'RELEASE_ASSET_MISSING' | 'CHECKSUM_FILE_MISSING',
  fileName: string,
  release: ReleaseFiles,
  at: Position,
): Diagnostic {
  let message = `missing GitHub release asset for ${fileName}`;
  const tag = release.tag;
  const other = tag.startsWith('v') ? tag.slice(1) : `v${tag}`;
  const respelled = tag.length > 1 && fileName.includes(tag) ? fileName.replaceAll(tag, other) : undefined;
  if (respelled && release.releaseFileNames.includes(respelled)) {
    message += tag.startsWith('v')
      ? `; the release has ${respelled}: #{version} is the tag verbatim ('${tag}'), and the files are named ` +
        `without the 'v'. Tag the release '${other}' (Sensu plugins tag without 'v'), or rename the files`
      : `; the release has ${respelled}: #{version} is the tag verbatim ('${tag}'), and the files are named ` +
        `with a 'v'. Tag the release '${other}', or rename the files`;
  } else {
    const names = release.releaseFileNames;
    message += names.length > 0 ? ` (the release has: ${names.join(', ')})` : ' (the release has no files)';
  }
  return diagnostic(code, message, at);
}
