import type { Logger } from 'pino';
import { diagnostic, type Diagnostic } from '../../bonsai-schema/index.js';
import type { Artifacts } from '../artifacts/port.js';
import { invalidateAsset } from '../cache/names.js';
import type { Cache } from '../cache/port.js';
import type { Db, Queryable } from '../db/port.js';
import { isConnectionFailure } from '../db/sql-errors.js';
import { RegistryError, isRegistryError, messageOf, notFound } from '../errors.js';
import type { GitHub, Release } from '../github/port.js';
import { tagCommits } from '../github/tag-commits.js';
import {
  getAsset,
  lockAsset,
  saveReleasesEtags,
  updateFromGitHub,
  type AssetRecord,
} from '../store/assets.js';
import { fencedTransaction, isLeaseLost } from '../jobs/fence.js';
import type { HeldJob } from '../jobs/queue.js';
import { appendIngestLog } from '../store/ingest-log.js';
import { saveVersionDocs } from '../store/version-docs.js';
import { markCopiesPublished } from '../store/copies.js';
import {
  isServed,
  listVersions,
  clearIngesting,
  markIngesting,
  markRemoved,
  markRestored,
  recordFailedAttempt,
  saveGoodIngest,
  saveTagRef,
  trackRelease,
  withdrawVersion,
  type VersionRecord,
} from '../store/versions.js';
import { abortableGitHub } from './abortable.js';
import { signaturePolicy, type SignaturePolicy } from '../signing.js';
import { releaseFingerprint } from './fingerprint.js';
import { ingestRelease, unparseableTag, type ReleaseIngestDeps } from './release.js';
import { renderAsset, type RenderContext } from './render.js';

export interface SyncDeps {
  db: Db;
  github: GitHub;
  artifacts: Artifacts;
  cache: Cache;
  /** The base URLs definitions are rendered with (the runtime's `urls`). */
  urls: RenderContext;
  maxArtifactSize: number;
  limits?: ReleaseIngestDeps['limits'];
  onArtifactBytes?: ReleaseIngestDeps['onArtifactBytes'];
  logger: Logger;
  /** REQUIRE_SIGNATURES: every namespace needs signed checksum files, keyed or not. */
  requireSignatures?: boolean;
  /** Set by syncAsset for its namespace (registry/signing.ts). */
  signatures?: SignaturePolicy;
}

export interface SyncOptions {
  force: boolean;
  conditional: boolean;
  jobId?: number | null;
  /** The job this sync runs as: every write checks it is still held (fencing) and names it in the log. */
  held?: HeldJob;
  /** Aborted when the job must stop (deadline, lost lease, shutdown): GitHub calls stop, nothing more is written. */
  signal?: AbortSignal;
}

/**
 * What happened to one tag: `ingested` (new or changed data now served), `unchanged`, `failed` (errors;
 * the last good data, if any, stays served), `still-failing` (same content as a failed attempt: not
 * retried), `removed` (release gone), `restored` (release back), `draft` (skipped until published),
 * `retry` (GitHub failed; the job runs again with backoff).
 */
export type VersionOutcome =
  'ingested' | 'unchanged' | 'failed' | 'still-failing' | 'removed' | 'restored' | 'draft' | 'retry';

export interface VersionReport {
  tag: string;
  outcome: VersionOutcome;
  commit: string | null;
  configFile?: string;
  builds?: number;
  diagnostics: Diagnostic[];
  message?: string;
  /** A served version that stopped being served (its signature no longer verifies). */
  withdrawn?: boolean;
}

export interface SyncReport {
  asset: string;
  /** The poller's conditional read found nothing new. */
  notModified: boolean;
  versions: VersionReport[];
}

/** Everything one sync writes goes through here: a transaction fenced by the job it runs as. */
type Write = <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>;

/** What happened to one version, as its ingest-log entry says it and its row records it. */
interface Outcome {
  tag: string;
  outcome: 'ingested' | 'failed' | 'removed' | 'restored';
  commitSha: string | null;
  message: string;
  diagnostics: Diagnostic[];
  /** The version row's change (none when the release's row could not even be written). */
  setState?(tx: Queryable): Promise<void>;
  /** What the API serves changed: the asset's definitions are rendered again. */
  rerender?: boolean;
}

/** Writes one version's outcome, whatever it is: state, ingest-log entry and renders in one transaction. */
type WriteOutcome = (outcome: Outcome) => Promise<void>;

/** The one outcome writer of a sync (every outcome of every release goes through it). */
function outcomeWriter(
  write: Write,
  urls: RenderContext,
  assetId: number,
  jobId: number | null,
): WriteOutcome {
  return ({ setState, rerender, ...entry }) =>
    write(async (tx) => {
      // The asset before its versions (lockAsset): a render of the stale asset runs in that order too.
      if (rerender) await lockAsset(tx, assetId);
      await setState?.(tx);
      await appendIngestLog(tx, assetId, { ...entry, jobId });
      if (rerender) await renderAsset(tx, assetId, urls, 'changed');
    });
}

/** How a sync writes: any transaction (`write`), and each version's outcome (`outcome`). */
interface SyncWrites {
  write: Write;
  outcome: WriteOutcome;
}

/**
 * Brings one asset's versions in line with its GitHub releases (DESIGN: data flow). Every page of
 * releases is read; each published release whose fingerprint changed is ingested and written in its own
 * transaction (data, renders and log together); releases gone from GitHub are marked removed. Releases
 * are isolated from each other: a GitHub failure on one is reported as `retry` (see jobs/sync-job.ts),
 * any other error while ingesting one becomes that version's INGEST_FAILED, and the sync goes on. Only
 * what stops the whole job is thrown: a lost lease, an abort (deadline, shutdown), a database outage.
 */
export async function syncAsset(
  baseDeps: SyncDeps,
  assetId: number,
  options: SyncOptions,
): Promise<SyncReport> {
  const deps: SyncDeps = {
    ...(options.signal
      ? { ...baseDeps, github: abortableGitHub(baseDeps.github, options.signal) }
      : baseDeps),
  };
  const write: Write = (fn) => {
    options.signal?.throwIfAborted();
    return fencedTransaction(deps.db, options.held, fn);
  };
  const jobId = options.held?.id ?? options.jobId ?? null;
  const writes: SyncWrites = { write, outcome: outcomeWriter(write, deps.urls, assetId, jobId) };
  const asset = await getAsset(deps.db, assetId);
  if (!asset) throw notFound();
  if (asset.importedFrom !== null)
    throw importedAsset(`${asset.namespace}/${asset.name}`, asset.importedFrom);
  const owner = asset.namespace;
  const repo = asset.name;
  const log = deps.logger.child({ asset: `${owner}/${repo}`, jobId: jobId ?? undefined });
  // Read once per sync: every release of the asset is judged against the same keys.
  deps.signatures = await signaturePolicy(deps.db, owner, deps.requireSignatures ?? false);
  const report: SyncReport = { asset: `${owner}/${repo}`, notModified: false, versions: [] };

  const listed = await deps.github.listReleases(
    owner,
    repo,
    options.conditional ? asset.releasesEtags : undefined,
  );
  if (listed.notModified) {
    report.notModified = true;
    return report;
  }
  // Each committed change is made visible at once: the asset's cached responses are dropped.
  const invalidate = () => invalidateAsset(deps.cache, asset);
  const repository = await deps.github.getRepository(owner, repo);
  if (repository) {
    // Every version is rendered again only when what they embed from GitHub changed; otherwise only what
    // is left to render (a sync of a 1,000-version asset costs no more than one of 10).
    const rendered = await write(async (tx) =>
      renderAsset(
        tx,
        assetId,
        deps.urls,
        (await updateFromGitHub(tx, assetId, repository)) ? 'all' : 'changed',
      ),
    );
    if (rendered) await invalidate();
  }

  const known = new Map((await listVersions(deps.db, assetId)).map((v) => [v.tag, v]));
  const commitOfTag = tagCommits(deps.github, owner, repo, (tag) => {
    const v = known.get(tag);
    return v && { ref: v.tagEtag, commit: v.tagCommit };
  });
  const published = new Set<string>();
  for (const release of listed.releases) {
    if (release.draft) {
      if (!published.has(release.tag))
        report.versions.push({ tag: release.tag, outcome: 'draft', commit: null, diagnostics: [] });
      continue;
    }
    published.add(release.tag);
    let version: VersionRecord | undefined;
    try {
      options.signal?.throwIfAborted();
      // Marked as being ingested by this job until its outcome is written (see failIngestingVersions).
      version = await write(async (tx) => {
        const tracked = await trackRelease(tx, asset.id, release.tag, {
          releaseId: String(release.id),
          prerelease: release.prerelease,
        });
        if (jobId !== null) await markIngesting(tx, tracked.id, { jobId, fingerprint: null, commit: null });
        return tracked;
      });
      const result = await syncRelease(deps, writes, asset, release, version, known.get(release.tag), {
        ...options,
        jobId,
        commitOfTag,
      });
      report.versions.push(result);
      // A failed attempt changes no API answer, but the web pages show its errors.
      if (result.outcome === 'ingested' || result.outcome === 'restored' || result.outcome === 'failed')
        await invalidate();
    } catch (err) {
      if (stopsTheJob(err, options.signal)) throw err;
      if (isGitHubFailure(err)) {
        // An outage is worth retrying: the job runs again with backoff.
        log.warn({ tag: release.tag, err: messageOf(err) }, 'release not ingested: will retry');
        report.versions.push({
          tag: release.tag,
          outcome: 'retry',
          commit: null,
          diagnostics: [],
          message: messageOf(err),
        });
        continue;
      }
      // Anything else (a bug, a render or store error on this release's data) fails this version only.
      log.error(
        { tag: release.tag, err: messageOf(err), stack: err instanceof Error ? err.stack : undefined },
        'release not ingested: unexpected error',
      );
      report.versions.push(
        version
          ? await recordUnexpected(deps, writes, version, jobId, err)
          : // Not even its row could be written (a tag the store refuses): reported, and logged per asset.
            await recordUntracked(writes, release.tag, jobId, err),
      );
      // A copy that failed after the commit took the version out of the API.
      await invalidate();
    }
  }
  // Drafts that also appear published are reported once, as published.
  report.versions = report.versions.filter((v) => v.outcome !== 'draft' || !published.has(v.tag));

  for (const version of known.values()) {
    if (published.has(version.tag) || version.removedAt !== null) continue;
    await writes.outcome({
      tag: version.tag,
      outcome: 'removed',
      commitSha: version.commitSha,
      message: 'the release is no longer on GitHub: removed from the API, kept in the store',
      diagnostics: [],
      setState: (tx) => markRemoved(tx, version.id),
      rerender: true,
    });
    await invalidate();
    report.versions.push({
      tag: version.tag,
      outcome: 'removed',
      commit: version.commitSha,
      diagnostics: [],
    });
  }

  // Only a complete sync may advance the ETags, or the poller would never look at a skipped release again
  // (nor at a version whose copy the artifact store refused).
  if (!report.versions.some((v) => v.outcome === 'retry' || v.diagnostics.some(isStoreFailure)))
    await write((tx) => saveReleasesEtags(tx, assetId, listed.etags));
  log.info({ versions: report.versions.map((v) => `${v.tag}:${v.outcome}`).join(' ') }, 'asset synced');
  return report;
}

/** Imported assets are served from their mirror's data: syncing them from GitHub is refused. */
export function importedAsset(name: string, mirror: string): RegistryError {
  return new RegistryError(
    'ASSET_IMPORTED',
    `${name} was imported from the mirror ${mirror}; it is not synced from GitHub`,
  );
}

/**
 * What ends the whole sync rather than one version: this process lost the job, the job was aborted
 * (deadline, shutdown), or the database cannot be reached (the job retries).
 */
function stopsTheJob(err: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted || isLeaseLost(err) || isConnectionFailure(err)) return true;
  return isRegistryError(err) && (err.code === 'DATABASE_FAILED' || err.code === 'JOB_DEADLINE');
}

function isStoreFailure(d: Diagnostic): boolean {
  return d.code === 'ARTIFACT_STORE_FAILED';
}

/** GitHub (or its download CDN) failed or could not be reached, after the client's own retries. */
function isGitHubFailure(err: unknown): boolean {
  return isRegistryError(err) && err.code === 'GITHUB_FAILED';
}

async function syncRelease(
  deps: SyncDeps,
  writes: SyncWrites,
  asset: AssetRecord,
  release: Release,
  version: VersionRecord,
  previous: VersionRecord | undefined,
  options: SyncOptions & { jobId: number | null; commitOfTag: ReturnType<typeof tagCommits> },
): Promise<VersionReport> {
  const owner = asset.namespace;
  const repo = asset.name;
  const { jobId } = options;
  const { write } = writes;

  // The commit: unparseable tags never get that far (they can never be served).
  let commit: string | null = null;
  if (unparseableTag(release.tag).length === 0) {
    const tagged = await options.commitOfTag(release.tag);
    if (tagged === undefined) {
      const fingerprint = releaseFingerprint(null, release.files, deps.signatures?.fingerprint);
      return recordFailure(writes, version, fingerprint, null, {
        configFile: undefined,
        errors: [
          diagnostic(
            'RELEASE_TAG_NOT_FOUND',
            `release ${release.tag} has no git tag ${release.tag} in ${owner}/${repo}; push it with ` +
              `\`git push origin ${release.tag}\``,
          ),
        ],
        warnings: [],
      });
    }
    commit = tagged.commit;
    // The ref's sha is kept (as tag_etag): an annotated tag's object is then not read again.
    if (previous?.tagEtag !== tagged.ref || previous.tagCommit !== tagged.commit)
      await write((tx) => saveTagRef(tx, version.id, tagged.ref, tagged.commit));
  }
  const fingerprint = releaseFingerprint(commit, release.files, deps.signatures?.fingerprint);

  const notIngesting = async () => {
    if (jobId !== null) await write((tx) => clearIngesting(tx, version.id));
  };
  if (!options.force && version.fingerprint === fingerprint) {
    if (isServed(version)) {
      await notIngesting();
      return { tag: release.tag, outcome: 'unchanged', commit, diagnostics: [] };
    }
    if (version.removedAt !== null) {
      await writes.outcome({
        tag: release.tag,
        outcome: 'restored',
        commitSha: commit,
        message: 'the release is back on GitHub with the same content',
        diagnostics: [],
        setState: (tx) => markRestored(tx, version.id),
        rerender: true,
      });
      return { tag: release.tag, outcome: 'restored', commit, diagnostics: [] };
    }
  }
  if (!options.force && version.attemptState === 'failed' && version.attemptFingerprint === fingerprint) {
    await notIngesting();
    return { tag: release.tag, outcome: 'still-failing', commit, diagnostics: version.attemptErrors };
  }
  if (jobId !== null) await write((tx) => markIngesting(tx, version.id, { jobId, fingerprint, commit }));

  const result =
    commit === null
      ? { ok: false as const, configFile: undefined, errors: unparseableTag(release.tag), warnings: [] }
      : await ingestRelease(deps, { owner, repo, release, commit });
  if (!result.ok) return recordFailure(writes, version, fingerprint, commit, result, { mayWithdraw: true });

  const good = result;
  // A version already served (a tag moved, a forced sync) keeps its previous, complete definition until
  // every new copy is confirmed: its copies are published first, then the new data replaces the old in one
  // transaction, so no replica ever finds the version missing. A copy that fails leaves the old data served
  // (served-stale, with the store's error) and the next sync tries again; a copy published before a failed
  // commit is only an unreferenced object the next sync finds in place. A new version is saved first and
  // served once its copies are published, so its state shows while they are not.
  const copiesFirst = isServed(version) && good.builds.some((b) => b.copyPending);
  if (copiesFirst) await good.artifacts.publish();
  const builds = copiesFirst ? good.builds.map((b) => ({ ...b, copyPending: false })) : good.builds;
  try {
    await writes.outcome({
      tag: release.tag,
      outcome: 'ingested',
      commitSha: commit,
      message: `${good.builds.length} build(s) from ${good.configFile}`,
      diagnostics: good.warnings,
      setState: async (tx) => {
        await saveGoodIngest(tx, version.id, {
          fingerprint,
          commitSha: commit!,
          annotations: good.annotations,
          labels: good.labels,
          warnings: good.warnings,
          builds,
        });
        await saveVersionDocs(tx, version.id, {
          readmeFile: good.readme?.file ?? null,
          readme: good.readme?.text ?? null,
          releaseNotes: release.notes ?? null,
        });
      },
      rerender: true,
    });
  } catch (err) {
    // Rolled back: the copies are removed and what is served stays as it was.
    await good.artifacts.discard();
    throw err;
  }
  // A new version's copies reach their URLs only now: nothing pointed at them before the commit. The
  // version is served once every copy is confirmed (the builds' `published` marker): a copy that fails
  // leaves it unserved, and the next sync ingests it again.
  if (!copiesFirst) await good.artifacts.publish();
  if (builds.some((b) => b.copyPending))
    await write(async (tx) => {
      await lockAsset(tx, asset.id);
      await markCopiesPublished(tx, version.id);
      await renderAsset(tx, asset.id, deps.urls, 'changed');
    });
  return {
    tag: release.tag,
    outcome: 'ingested',
    commit,
    configFile: good.configFile,
    builds: good.builds.length,
    diagnostics: good.warnings,
  };
}

async function recordFailure(
  writes: SyncWrites,
  version: VersionRecord,
  fingerprint: string | null,
  commit: string | null,
  result: { configFile: string | undefined; errors: Diagnostic[]; warnings: Diagnostic[] },
  /** mayWithdraw: a served version may stop being served (its signature no longer verifies). */
  { mayWithdraw = false }: { mayWithdraw?: boolean } = {},
): Promise<VersionReport> {
  const diagnostics = [...result.errors, ...result.warnings];
  // Provenance is not "last good data": a version whose signature no longer verifies (a key revoked, a
  // namespace that now needs signatures) stops being served instead of staying served-stale.
  const withdraw =
    mayWithdraw &&
    isServed(version) &&
    result.errors.some((d) => d.code === 'SIGNATURE_MISSING' || d.code === 'SIGNATURE_INVALID');
  await writes.outcome({
    tag: version.tag,
    outcome: 'failed',
    commitSha: commit,
    message: withdraw
      ? 'not ingested; no longer served: its signature does not verify'
      : isServed(version)
        ? `not ingested; still serving the data of commit ${version.commitSha}`
        : 'not ingested',
    diagnostics,
    setState: async (tx) => {
      await recordFailedAttempt(tx, version.id, {
        fingerprint,
        commit,
        errors: result.errors,
        warnings: result.warnings,
      });
      if (withdraw) await withdrawVersion(tx, version.id);
    },
    rerender: withdraw,
  });
  return {
    tag: version.tag,
    outcome: 'failed',
    commit,
    ...(result.configFile ? { configFile: result.configFile } : {}),
    diagnostics,
    ...(withdraw ? { withdrawn: true } : {}),
  };
}

/** A tag as messages show it: a hostile one may be kilobytes long. */
const shownTag = (tag: string) => (tag.length > 100 ? `${tag.slice(0, 100)}…` : tag);

function unexpectedProblem(tag: string, jobId: number | null, err: unknown): Diagnostic {
  // The artifact store failing is an outside service, not a bug: its coded message says which and where.
  if (isRegistryError(err) && err.code === 'ARTIFACT_STORE_FAILED')
    return diagnostic(
      err.code,
      `${shownTag(tag)} could not be stored: ${err.message}; the next sync tries again`,
    );
  const code = isRegistryError(err) ? ` (${err.code})` : '';
  return diagnostic(
    'INGEST_FAILED',
    `${shownTag(tag)} could not be ingested: an unexpected error${code} stopped it` +
      (jobId === null ? '' : `; the registry log has the details under job ${jobId}`) +
      '; the next sync tries again',
  );
}

/** A release whose version row cannot even be written: the asset's ingest log keeps the error. */
async function recordUntracked(
  writes: SyncWrites,
  tag: string,
  jobId: number | null,
  err: unknown,
): Promise<VersionReport> {
  const problem = unexpectedProblem(tag, jobId, err);
  await writes.outcome({
    tag: shownTag(tag),
    outcome: 'failed',
    commitSha: null,
    message: 'not ingested',
    diagnostics: [problem],
  });
  return { tag, outcome: 'failed', commit: null, diagnostics: [problem] };
}

/**
 * An error no rule of the release explains (a bug, a render or store error): the version gets
 * INGEST_FAILED, without the raw message (it may name internals; the log has it). Its content is not
 * recorded as failing, so the next sync tries it again.
 */
async function recordUnexpected(
  deps: SyncDeps,
  writes: SyncWrites,
  version: VersionRecord,
  jobId: number | null,
  err: unknown,
): Promise<VersionReport> {
  const problem = unexpectedProblem(version.tag, jobId, err);
  try {
    return await recordFailure(writes, version, null, version.attemptCommit, {
      configFile: undefined,
      errors: [problem],
      warnings: [],
    });
  } catch (recordErr) {
    deps.logger.error({ tag: version.tag, err: messageOf(recordErr) }, 'cannot record the failure');
    throw recordErr;
  }
}
