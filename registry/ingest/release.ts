import {
  ArchiveLister,
  DEFAULT_MAX_ARCHIVE_ENTRIES,
  DEFAULT_MAX_UNPACKED_SIZE,
} from '../../bonsai-schema/archive-lister.js';
import { archiveDiagnostics } from '../../bonsai-schema/archive-rules.js';
import { buildsByArchive, releaseArchiveDiagnostics } from '../../bonsai-schema/release-archive.js';
import {
  compileRelease,
  decodeConfigFile,
  diagnostic,
  errorsOf,
  MAX_CHECKSUM_FILE_BYTES,
  MAX_CONFIG_FILE_BYTES,
  parseBonsaiConfig,
  parseVersion,
  pickConfigFile,
  planRelease,
  unparseableVersions,
  warningsOf,
  type CompiledBuild,
  type Diagnostic,
} from '../../bonsai-schema/index.js';
import {
  checkSignatures,
  MAX_SIGNATURE_FILE_BYTES,
  SIGNATURE_SUFFIX,
  type SignatureCheck,
  type SignedChecksumFile,
} from '../../bonsai-schema/index.js';
import type { Artifacts } from '../artifacts/port.js';
import type { SignaturePolicy } from '../signing.js';
import type { GitHub, Release, ReleaseFile } from '../github/port.js';
import type { NewBuild } from '../store/versions.js';
import { readReadme, readmeOverride, type Readme } from './readme.js';
import { ArtifactRedirectRefusedError } from '../github/redirect-policy.js';
import {
  ArtifactTooLargeError,
  DownloadDeadlineError,
  ObserverStoppedError,
  measureDownload,
  readText,
  type Measured,
} from './download.js';

export interface ReleaseIngestDeps {
  github: GitHub;
  artifacts: Artifacts;
  maxArtifactSize: number;
  /** MAX_ARCHIVE_ENTRIES, MAX_UNPACKED_SIZE, DOWNLOAD_DEADLINE; the defaults when absent. */
  limits?: IngestLimits;
  /** The namespace's keys (registry/signing.ts); absent or not required: signatures are not checked. */
  signatures?: SignaturePolicy;
  /** Told the size of every artifact downloaded whole (the bytes-downloaded metric). */
  onArtifactBytes?: (bytes: number) => void;
}

export interface IngestLimits {
  maxArchiveEntries: number;
  maxUnpackedSize: number;
  downloadDeadlineMs: number;
}

/**
 * A download that failed because of what the release serves (too slow in all, a redirect the policy
 * refuses) is that version's coded error; undefined for anything else (GitHub failing: the job retries).
 */
function downloadProblem(err: unknown, fileName: string): Diagnostic | undefined {
  if (err instanceof DownloadDeadlineError) {
    return diagnostic(
      'ARTIFACT_DEADLINE_EXCEEDED',
      `the download of ${fileName} ${err.message}; it was abandoned (serve it faster, or raise DOWNLOAD_DEADLINE)`,
      undefined,
      fileName,
    );
  }
  if (err instanceof ArtifactRedirectRefusedError) {
    return diagnostic(
      'ARTIFACT_REDIRECT_REFUSED',
      `the download of ${fileName} was not followed: ${err.message}; release files are fetched only from ` +
        'GitHub, the API host and ARTIFACT_HOSTS',
      undefined,
      fileName,
    );
  }
  return undefined;
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
      /** The README at the tag's commit, for the web pages (see readReadme). */
      readme: Readme | undefined;
      /** Mirrored copies not yet at their URLs: published once the version is saved, else discarded. */
      artifacts: PendingArtifacts;
    }
  | { ok: false; configFile: string | undefined; errors: Diagnostic[]; warnings: Diagnostic[] };

export interface PendingArtifacts {
  /** After the version's transaction committed: each copy moves to its URL. */
  publish(): Promise<void>;
  /** The transaction rolled back: the copies are removed, the served files stay as they were. */
  discard(): Promise<void>;
}

/** DOWNLOAD_DEADLINE's default: ten minutes per file. */
export const DEFAULT_DOWNLOAD_DEADLINE_MS = 600_000;

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
 * downloaded, size-limited and re-hashed; in mirror mode the verified bytes are kept, to be published by
 * the caller once the version is saved. Content problems come back as errors; GitHub failures throw (the
 * job retries later).
 */
export async function ingestRelease(deps: ReleaseIngestDeps, target: ReleaseTarget): Promise<ReleaseIngest> {
  const { owner, repo, release, commit } = target;
  const tagProblems = unparseableTag(release.tag);
  if (tagProblems.length > 0) return failed(undefined, tagProblems);

  const rootFiles = await deps.github.listRootFiles(owner, repo, commit);
  const picked = pickConfigFile(rootFiles);
  if (picked.name === undefined) return failed(undefined, picked.diagnostics);
  const configFile = picked.name;
  const file = await deps.github.readFile(owner, repo, configFile, commit, MAX_CONFIG_FILE_BYTES);
  if (file === undefined) {
    return failed(configFile, [
      diagnostic(
        'CONFIG_NOT_FOUND',
        `cannot find a Bonsai configuration file: ${configFile} vanished at ${commit}`,
      ),
    ]);
  }
  // The bounds `bonsai lint` applies, before any parsing.
  const decoded = decodeConfigFile(file.bytes, file.size);
  if (decoded.text === undefined) return failed(configFile, decoded.diagnostics);
  const parsed = parseBonsaiConfig(decoded.text);
  if (!parsed.config) return failed(configFile, [...picked.diagnostics, ...parsed.diagnostics]);
  const config = parsed.config;

  const filesByName = new Map(release.files.map((f) => [f.name, f]));
  const checksumFiles: Record<string, string> = {};
  const checksumFilesTooLarge: string[] = [];
  const refused: Diagnostic[] = [];
  for (const name of planRelease(config, { repo, tag: release.tag }).checksumFiles) {
    const file = filesByName.get(name);
    if (!file) continue;
    const startedAt = Date.now();
    try {
      const body = await deps.github.downloadReleaseFile(owner, repo, file);
      checksumFiles[name] = await readText(
        body,
        MAX_CHECKSUM_FILE_BYTES,
        `download of ${name} from ${owner}/${repo}`,
        { deadlineMs: deps.limits?.downloadDeadlineMs ?? DEFAULT_DOWNLOAD_DEADLINE_MS, startedAt },
      );
    } catch (err) {
      // Content, not an outage: compile reports it, and the version fails until the file is replaced.
      const problem = downloadProblem(err, name);
      if (problem) refused.push(problem);
      else if (err instanceof ArtifactTooLargeError) checksumFilesTooLarge.push(name);
      else throw err;
    }
  }
  if (refused.length > 0)
    return failed(configFile, [...picked.diagnostics, ...parsed.diagnostics, ...refused]);
  const compiled = compileRelease(config, {
    repo,
    tag: release.tag,
    releaseFileNames: release.files.map((f) => f.name),
    checksumFiles,
    checksumFilesTooLarge,
  });
  const diagnostics = [...picked.diagnostics, ...parsed.diagnostics, ...compiled.diagnostics];
  if (!compiled.ok) return failed(configFile, diagnostics);

  // Before any artifact is downloaded: an unsigned version of a keyed namespace costs no download.
  const signed = await verifySignatures(deps, target, checksumFiles, filesByName);
  if (signed.diagnostics.length > 0) return failed(configFile, [...diagnostics, ...signed.diagnostics]);

  // Every artifact is downloaded once (builds may share a file), hashed, and its entries checked as the
  // agent would extract them, against every build that names it (Bonsai did neither).
  const verified = new Map<string, Verified>();
  const discardAll = () => Promise.all([...verified.values()].map((v) => v.discard()));
  try {
    for (const [name, builds] of buildsByArchive(compiled.builds))
      verified.set(name, await verifyArtifact(deps, target, filesByName.get(name)!, builds));
  } catch (err) {
    await discardAll();
    throw err;
  }
  const found = [...verified.values()].flatMap((v) => v.diagnostics);
  if (errorsOf(found).length > 0) {
    await discardAll();
    return failed(configFile, [...diagnostics, ...found]);
  }

  const builds: NewBuild[] = compiled.builds.map((build) => {
    const v = verified.get(build.assetFilename)!;
    return {
      platform: build.platform,
      arch: build.arch,
      assetFilename: build.assetFilename,
      sha512: build.sha512,
      filters: build.filters,
      size: v.size,
      sourceUrl: filesByName.get(build.assetFilename)!.browserDownloadUrl,
      mirrorPath: v.mirrorPath,
      ...(v.publish !== nothing ? { copyPending: true } : {}),
    };
  });
  const readme = await readReadme(deps.github, target, rootFiles, readmeOverride(decoded.text, owner, repo));
  return {
    ok: true,
    configFile,
    readme,
    annotations: withSignatureAnnotations(config.annotations, signed.verified, filesByName),
    labels: config.labels,
    warnings: warningsOf([...diagnostics, ...found]),
    builds,
    artifacts: {
      async publish() {
        // Every copy is tried (each removes its temporary file); the first failure is reported.
        const results = await Promise.allSettled([...verified.values()].map((v) => v.publish()));
        const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failure) throw failure.reason;
      },
      discard: async () => void (await discardAll()),
    },
  };
}

/** Set by the registry only: bonsai.yml cannot claim a signature. */
export const SIGNATURE_ANNOTATION = 'io.sensu.bonsai.signature';
export const SIGNATURE_URL_ANNOTATION = 'io.sensu.bonsai.signature_url';

/**
 * The version's annotations: bonsai.yml's, without any signature claim of its own, then the key id(s)
 * and signature file URL(s) that verified (additive: sensuctl ignores annotations it does not know).
 */
function withSignatureAnnotations(
  annotations: Record<string, string>,
  verified: SignatureCheck['verified'],
  files: ReadonlyMap<string, ReleaseFile>,
): Record<string, string> {
  const result = { ...annotations };
  delete result[SIGNATURE_ANNOTATION];
  delete result[SIGNATURE_URL_ANNOTATION];
  if (verified.length === 0) return result;
  result[SIGNATURE_ANNOTATION] = [...new Set(verified.map((v) => v.keyId))].join(', ');
  result[SIGNATURE_URL_ANNOTATION] = verified
    .map((v) => files.get(v.signatureFile)!.browserDownloadUrl)
    .join(', ');
  return result;
}

/**
 * When the namespace requires signatures: each checksum file's `.minisig` is downloaded (bounded) and
 * verified over the checksum file's bytes against the namespace's keys that are not revoked.
 */
async function verifySignatures(
  deps: ReleaseIngestDeps,
  target: ReleaseTarget,
  checksumFiles: Readonly<Record<string, string>>,
  filesByName: ReadonlyMap<string, ReleaseFile>,
): Promise<SignatureCheck> {
  const policy = deps.signatures;
  if (!policy?.required) return { diagnostics: [], verified: [] };
  const files: SignedChecksumFile[] = [];
  for (const [name, text] of Object.entries(checksumFiles)) {
    const file = filesByName.get(name + SIGNATURE_SUFFIX);
    let signature: string | undefined;
    if (file) {
      try {
        const body = await deps.github.downloadReleaseFile(target.owner, target.repo, file);
        signature = await readText(body, MAX_SIGNATURE_FILE_BYTES, `download of ${file.name}`, {
          deadlineMs: deps.limits?.downloadDeadlineMs ?? DEFAULT_DOWNLOAD_DEADLINE_MS,
          startedAt: Date.now(),
        });
      } catch (err) {
        const problem = downloadProblem(err, file.name);
        if (problem) return { diagnostics: [problem], verified: [] };
        if (!(err instanceof ArtifactTooLargeError)) throw err;
        // Larger than any signature: it cannot parse as one, and says so.
        signature = `(${file.name} is larger than ${MAX_SIGNATURE_FILE_BYTES} bytes)`;
      }
    }
    // The checksum file was read as UTF-8 text: its bytes are those of that text (a file that is not
    // valid UTF-8 does not round-trip, and then fails verification: never the other way round).
    files.push({ fileName: name, bytes: Buffer.from(text, 'utf8'), signature });
  }
  return checkSignatures(files, policy.keys, policy.revoked);
}

/** One downloaded artifact: its problems and, in mirror mode, its copy waiting to be published or discarded. */
interface Verified {
  size: number;
  diagnostics: Diagnostic[];
  /** `COMMIT/FILE` in mirror mode, else null. */
  mirrorPath: string | null;
  publish(): Promise<void>;
  discard(): Promise<void>;
}

const nothing = async () => undefined;

async function verifyArtifact(
  deps: ReleaseIngestDeps,
  target: ReleaseTarget,
  file: ReleaseFile,
  builds: readonly CompiledBuild[],
): Promise<Verified> {
  const sink = await deps.artifacts.openSink(target.commit, file.name);
  const limits = deps.limits;
  const lister = new ArchiveLister({
    maxEntries: limits?.maxArchiveEntries ?? DEFAULT_MAX_ARCHIVE_ENTRIES,
    maxUnpackedSize: limits?.maxUnpackedSize ?? DEFAULT_MAX_UNPACKED_SIZE,
  });
  const refusedWith = async (problem: Diagnostic): Promise<Verified> => {
    await sink?.discard();
    return { size: 0, diagnostics: [problem], mirrorPath: null, publish: nothing, discard: nothing };
  };
  try {
    let measured: Measured;
    const startedAt = Date.now();
    try {
      const body = await deps.github.downloadReleaseFile(target.owner, target.repo, file);
      measured = await measureDownload(body, {
        maxBytes: deps.maxArtifactSize,
        what: `download of ${file.name} from ${target.owner}/${target.repo}`,
        ...(sink ? { sink: sink.stream } : {}),
        observer: lister,
        deadlineMs: limits?.downloadDeadlineMs ?? DEFAULT_DOWNLOAD_DEADLINE_MS,
        startedAt,
      });
      deps.onArtifactBytes?.(measured.size);
    } catch (err) {
      if (err instanceof ObserverStoppedError) {
        // A bound of the listing (entries, unpacked size): the rest of the download cannot help.
        const content = await lister.end();
        return refusedWith(archiveDiagnostics(content, { file: file.name })[0]!);
      }
      const problem = downloadProblem(err, file.name);
      if (problem) return refusedWith(problem);
      if (!(err instanceof ArtifactTooLargeError)) throw err;
      return refusedWith(
        diagnostic(
          'ARTIFACT_TOO_LARGE',
          `${file.name} is ${err.message} (MAX_ARTIFACT_SIZE); it was not downloaded whole`,
        ),
      );
    }
    const reading = { ...(await lister.end()), sha512: measured.sha512 };
    const diagnostics = releaseArchiveDiagnostics(file.name, reading, builds);
    if (!sink)
      return { size: measured.size, diagnostics, mirrorPath: null, publish: nothing, discard: nothing };
    // Mirrored files are served as immutable: the same bytes are already published, other bytes never are.
    const held = errorsOf(diagnostics).length === 0 ? await sink.compare(measured) : 'absent';
    if (held === 'different') {
      diagnostics.push(
        diagnostic(
          'ARTIFACT_CHANGED',
          `${file.name} changed under commit ${target.commit}: the registry serves other bytes under that name ` +
            `(${sink.mirrorPath}, cached as immutable); publish a new tag, or upload the original file again`,
          undefined,
          file.name,
        ),
      );
    }
    if (held !== 'absent') {
      await sink.discard();
      return {
        size: measured.size,
        diagnostics,
        mirrorPath: sink.mirrorPath,
        publish: nothing,
        discard: nothing,
      };
    }
    return {
      size: measured.size,
      diagnostics,
      mirrorPath: sink.mirrorPath,
      publish: () => sink.publish(measured),
      discard: () => sink.discard(),
    };
  } catch (err) {
    await sink?.discard();
    throw err;
  } finally {
    // Frees the parsers when the download stopped early or was never listed to its end.
    lister.destroy();
  }
}
