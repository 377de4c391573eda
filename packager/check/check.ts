import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveFormat } from '../../bonsai-schema/archive-rules.js';
import {
  compileRelease,
  diagnostic,
  errorsOf,
  NO_POSITION,
  packedFor,
  type ReleaseContext,
  MAX_CHECKSUM_FILE_BYTES,
  parseChecksums,
  planRelease,
  selectChecksum,
  type Diagnostic,
  type PlannedBuild,
  checkSignatures,
  MAX_SIGNATURE_FILE_BYTES,
  parseSignature,
  SIGNATURE_HINTS,
  SIGNATURE_SUFFIX,
  type PublicKey,
  type SignedChecksumFile,
} from '../../bonsai-schema/index.js';
import { buildsByArchive, releaseArchiveDiagnostics } from '../../bonsai-schema/release-archive.js';
import type { ArchiveLimits } from '../../bonsai-schema/archive-lister.js';
import { readArchive } from '../archive/reader.js';
import { PackagerError } from '../errors.js';
import type { Project } from '../project/project.js';

export interface CheckOptions {
  project: Project;
  /** The folder holding the release files (absolute). */
  dist: string;
  repo: string;
  version: string;
  /** How a path is shown in diagnostics. */
  show: (absolutePath: string) => string;
  /** The archive bounds, as the registry's settings (defaults: theirs). */
  limits?: ArchiveLimits;
  /**
   * Trusted public keys (`--key`): every checksum file must then be signed by one of them, as a registry
   * whose namespace has keys requires. Without keys, signature files present are only read.
   */
  keys?: readonly PublicKey[];
}

export interface CheckedArchive {
  fileName: string;
  /** Every build naming the file, with the digest its own checksum file gives, when one could be read. */
  builds: {
    number: number;
    platform: string;
    arch: string;
    shaFilename: string;
    expectedSha512: string | undefined;
  }[];
  format: ArchiveFormat;
  size: number;
  sha512: string;
  entries: number;
}

export interface CheckReport {
  /** No error (and, with `strict`, no warning either, decided by the caller). */
  ok: boolean;
  repo: string;
  version: string;
  /** Every file the release would carry (the regular files in dist). */
  releaseFiles: string[];
  archives: CheckedArchive[];
  /** In order: bonsai.yml (structure, filters), the release compile, digests, archive contents. */
  diagnostics: Diagnostic[];
}

/**
 * Says before the release exists what the registry's ingest and the Sensu agent will say about it:
 * bonsai.yml as the schema reads it (filters included), then the registry's own compile over the files
 * in dist (the same bonsai-schema function ingest calls), then each archive's sha512 recomputed against
 * its checksum line, then each archive read as the agent reads it (COMPAT §3).
 */
export async function checkRelease(options: CheckOptions): Promise<CheckReport> {
  const { project, dist, repo, version } = options;
  const report: CheckReport = {
    ok: false,
    repo,
    version,
    releaseFiles: [],
    archives: [],
    diagnostics: [...project.diagnostics],
  };
  const config = project.config;
  if (!config) return finish(report);
  const releaseFiles = await listReleaseFiles(dist, options.show);
  report.releaseFiles = releaseFiles;

  const plan = planRelease(config, { repo, tag: version });
  const present = new Set(releaseFiles);
  const checksumTexts: Record<string, string> = {};
  const tooLarge: string[] = [];
  for (const name of plan.checksumFiles) {
    if (!present.has(name)) continue;
    // The registry will not read past the limit: neither does check.
    if ((await stat(path.join(dist, name))).size > MAX_CHECKSUM_FILE_BYTES) tooLarge.push(name);
    else checksumTexts[name] = await readFile(path.join(dist, name), 'utf8');
  }
  const compiled = compileRelease(config, {
    repo,
    tag: version,
    releaseFileNames: releaseFiles,
    checksumFiles: checksumTexts,
    checksumFilesTooLarge: tooLarge,
  });
  for (const d of await signatureDiagnostics(dist, plan.checksumFiles, present, options.keys))
    report.diagnostics.push(d);
  const other = packedFor(config, releaseFiles, { repo, tag: version });
  // Said once, first, with the files listed once; the missing-file errors then only name their file.
  if (other) report.diagnostics.push(packedForOther(options, other, releaseFiles));
  const shown = options.show(dist);
  // One push per diagnostic: a hostile release can bring more than a spread's argument limit.
  for (const d of compiled.diagnostics)
    report.diagnostics.push(other ? withoutFileList(d) : inDist(d, shown));

  for (const [fileName, builds] of buildsByArchive(plan.builds)) {
    if (!present.has(fileName)) continue; // compile already reported it missing
    const reading = await readArchive(path.join(dist, fileName), options.limits);
    const expected = builds.map((b) => expectedDigest(b, checksumTexts));
    const found = releaseArchiveDiagnostics(
      fileName,
      reading,
      builds.map((b, i) => ({ ...b, sha512: expected[i]?.sha512, checksumLine: expected[i]?.line })),
    );
    for (const d of found) report.diagnostics.push(d);
    report.archives.push({
      fileName,
      builds: builds.map((b, i) => ({
        number: b.number,
        platform: b.platform,
        arch: b.arch,
        shaFilename: b.shaFilename,
        expectedSha512: expected[i]?.sha512,
      })),
      format: reading.format,
      size: reading.size,
      sha512: reading.sha512,
      entries: reading.entries.length,
    });
  }
  return finish(report);
}

const MISSING_FILE_CODES = new Set(['RELEASE_ASSET_MISSING', 'CHECKSUM_FILE_MISSING']);
const FILE_LIST = / \(the release has(?:: .*| no files)\)$/;

function withoutFileList(d: Diagnostic): Diagnostic {
  return MISSING_FILE_CODES.has(d.code) ? { ...d, message: d.message.replace(FILE_LIST, '') } : d;
}

/** Before the release exists, its files are those of dist: say so where compile speaks of "the release". */
function inDist(d: Diagnostic, dist: string): Diagnostic {
  if (!MISSING_FILE_CODES.has(d.code)) return d;
  return {
    ...d,
    message: d.message
      .replace(' (the release has: ', ` (${dist} has: `)
      .replace(' (the release has no files)', ` (${dist} has no release files)`),
  };
}

function packedForOther(options: CheckOptions, other: ReleaseContext, files: readonly string[]): Diagnostic {
  const dist = options.show(options.dist);
  const name = options.repo.slice(options.repo.lastIndexOf('/') + 1);
  const command = `bonsai pack --repo ${name} --version ${options.version}`;
  return {
    ...diagnostic(
      'DIST_PACKED_FOR_OTHER_RELEASE',
      `${dist} was packed for ${other.repo} ${other.tag}; this release is ${name} ${options.version}: run ` +
        `${command} (${dist} has: ${files.join(', ')})`,
      NO_POSITION,
      '.',
    ),
    hint: `file names carry the repository name and tag (#{repo}, #{version}): ${command}, then check again`,
  };
}

/** The regular, non-hidden files in dist: what would be attached to the release. */
async function listReleaseFiles(dist: string, show: (p: string) => string): Promise<string[]> {
  const entries = await readdir(dist, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    throw new PackagerError(
      'DIST_NOT_FOUND',
      `${show(dist)}: cannot list the release files (${err.code ?? err.message})`,
      {
        hint: 'run bonsai pack first, or point --dist at the folder holding the archives and checksum file',
      },
    );
  });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/**
 * With keys: each checksum file present must be signed by one of them (SIGNATURE_MISSING / _INVALID, as
 * ingest says). Without: a `.minisig` present must at least be a minisign signature.
 */
async function signatureDiagnostics(
  dist: string,
  checksumFiles: readonly string[],
  present: ReadonlySet<string>,
  keys: readonly PublicKey[] | undefined,
): Promise<Diagnostic[]> {
  const files: SignedChecksumFile[] = [];
  const malformed: Diagnostic[] = [];
  for (const name of checksumFiles) {
    if (!present.has(name)) continue;
    const signatureName = name + SIGNATURE_SUFFIX;
    const signature = present.has(signatureName)
      ? await readSmall(path.join(dist, signatureName), MAX_SIGNATURE_FILE_BYTES)
      : undefined;
    files.push({ fileName: name, bytes: await readFile(path.join(dist, name)), signature });
    if (signature === undefined) continue;
    try {
      parseSignature(signature);
    } catch (err) {
      malformed.push({
        ...diagnostic(
          'SIGNATURE_INVALID',
          `${signatureName}: not a minisign signature: ${(err as Error).message}`,
          NO_POSITION,
          signatureName,
        ),
        hint: SIGNATURE_HINTS.SIGNATURE_INVALID,
      });
    }
  }
  return keys && keys.length > 0 ? checkSignatures(files, keys).diagnostics : malformed;
}

/** A file's text, or a placeholder that fails to parse when it is larger than any signature. */
async function readSmall(file: string, max: number): Promise<string> {
  if ((await stat(file)).size > max) return `(larger than ${max} bytes)`;
  return readFile(file, 'utf8');
}

/** The digest the build's checksum file gives its archive, chosen by Bonsai's rule; undefined if none. */
function expectedDigest(
  build: PlannedBuild,
  texts: Readonly<Record<string, string>>,
): { sha512: string; line: number } | undefined {
  const text = texts[build.shaFilename];
  if (text === undefined) return undefined;
  const selected = selectChecksum(parseChecksums(text, build.shaFilename), build.assetFilename);
  return 'sha512' in selected ? selected : undefined;
}

/** Drops repeats (compile and archive steps can meet the same fact) and settles `ok`. */
function finish(report: CheckReport): CheckReport {
  const seen = new Set<string>();
  report.diagnostics = report.diagnostics.filter((d) => {
    const key = `${d.file ?? ''}|${d.line}|${d.column}|${d.code}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  report.ok = errorsOf(report.diagnostics).length === 0;
  return report;
}
