import { archiveDiagnostics, isWindowsBuild, type ArchiveContent } from './archive-rules.js';
import { diagnostic, type Diagnostic } from './diagnostics.js';

/** An archive whose bytes are not the ones its checksum (or `--sha512`) describes. */
export interface DigestMismatch {
  /** The archive's file name. */
  archive: string;
  /** Its sha512 as read, lowercase hex. */
  actual: string;
  /** The sha512 it should have, as given (any case). */
  expected: string;
  /** What gave the expected digest, as shown to the user: a checksum file, or `--sha512`. */
  source: string;
  /** Where the diagnostic points: the checksum file when there is one, else the archive. */
  file: string;
  /** The digest's line in that checksum file. */
  line?: number;
}

/** ARCHIVE_DIGEST_MISMATCH, worded once for `bonsai check`, `bonsai verify` and the registry's ingest. */
export function digestMismatch(m: DigestMismatch): Diagnostic {
  return diagnostic(
    'ARCHIVE_DIGEST_MISMATCH',
    `the sha512 of ${m.archive} is ${m.actual}, but ${m.source} gives ${m.expected.toLowerCase()}; the Sensu ` +
      'agent would refuse to install it: rebuild the archive, or regenerate the checksum file from it',
    m.line ? { line: m.line, column: 1 } : undefined,
    m.file,
  );
}

/** One build naming an archive file, with the digest its own checksum file gives that file. */
export interface ArchiveBuild {
  platform: string;
  filters: readonly string[];
  shaFilename: string;
  /** The sha512 the build's checksum file gives the archive (any case); undefined when none was found. */
  sha512: string | undefined;
  /** That digest's line in the checksum file. */
  checksumLine?: number;
}

/** An archive as read: its sha512 (lowercase hex) and what the lister found in it. */
export interface ArchiveReading extends ArchiveContent {
  sha512: string;
}

/**
 * Every problem of one release archive, for all the builds that name it (builds may share one file, and
 * each may name its own checksum file): every build's expected sha512 against the actual one, since the
 * agent checks the digest of the build it installs; then the content as the agent extracts it, for each
 * kind of build that uses it (a Windows build needs a .exe, .bat or .cmd in bin/, any other build exec bits).
 * `bonsai check` and the registry's ingest both call this, so they agree on every shared file.
 */
export function releaseArchiveDiagnostics(
  file: string,
  reading: ArchiveReading,
  builds: readonly ArchiveBuild[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const add = (d: Diagnostic) => {
    const key = [d.code, d.file, d.line, d.message].join('\n');
    if (seen.has(key)) return;
    seen.add(key);
    out.push(d);
  };
  for (const build of builds) {
    if (build.sha512 === undefined || build.sha512.toLowerCase() === reading.sha512) continue;
    add(
      digestMismatch({
        archive: file,
        actual: reading.sha512,
        expected: build.sha512,
        source: build.shaFilename,
        file: build.shaFilename,
        ...(build.checksumLine ? { line: build.checksumLine } : {}),
      }),
    );
  }
  const windows = new Set(builds.map((b) => isWindowsBuild(b.platform, b.filters)));
  for (const kind of [false, true].filter((k) => windows.has(k))) {
    for (const d of archiveDiagnostics(reading, { file, windows: kind })) add(d);
  }
  return out;
}

/** The builds naming each archive file, in bonsai.yml order (several builds may share one file). */
export function buildsByArchive<B extends { assetFilename: string }>(builds: readonly B[]): Map<string, B[]> {
  const byFile = new Map<string, B[]>();
  for (const build of builds)
    byFile.set(build.assetFilename, [...(byFile.get(build.assetFilename) ?? []), build]);
  return byFile;
}
