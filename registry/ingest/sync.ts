import type { Logger } from 'pino';
import { diagnostic, type Diagnostic } from '../../bonsai-schema/index.js';
import type { Artifacts } from '../artifacts/port.js';
import type { Cache } from '../cache/port.js';
import type { Db, Queryable } from '../db/port.js';
import { RegistryError, isRegistryError, messageOf, notFound } from '../errors.js';
import type { GitHub, Release } from '../github/port.js';
import { getAsset, saveReleasesEtags, updateFromGitHub, type AssetRecord } from '../store/assets.js';
import { appendIngestLog } from '../store/ingest-log.js';
import {
  isServed,
  listVersions,
  markRemoved,
  markRestored,
  recordFailedAttempt,
  saveGoodIngest,
  saveTagRef,
  trackRelease,
  withdrawVersion,
  type VersionRecord,
} from '../store/versions.js';
import { signaturePolicy, type SignaturePolicy } from '../signing.js';
import { releaseFingerprint } from './fingerprint.js';
import { ingestRelease, unparseableTag, type ReleaseIngestDeps } from './release.js';
import { renderAsset, type RenderContext } from './render.js';

export interface SyncDeps {
  db: Db;
  github: GitHub;
  artifacts: Artifacts;
  cache: Cache;
  render: RenderContext;
  maxArtifactSize: number;
  limits?: ReleaseIngestDeps['limits'];
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

/** The cache group of an asset's responses; URLs may spell the name in any case. */
export function assetCacheGroup(namespace: string, name: string): string {
  return `asset:${namespace.toLowerCase()}/${name.toLowerCase()}`;
}

/** The cache group of the asset list, which every asset change may affect. */
export const LIST_CACHE_GROUP = 'list';

export async function invalidateAsset(
  cache: Cache,
  asset: Pick<AssetRecord, 'namespace' | 'name'>,
): Promise<void> {
  await cache.del(assetCacheGroup(asset.namespace, asset.name));
  await cache.del(LIST_CACHE_GROUP);
}

/**
 * Brings one asset's versions in line with its GitHub releases (DESIGN: data flow). Every page of
 * releases is read; each published release whose fingerprint changed is ingested and written in its own
 * transaction (data, renders and log together); releases gone from GitHub are marked removed. A GitHub
 * failure on one release does not stop the others: it is reported as `retry` (see assertSyncComplete).
 * Any other exception is not GitHub's: it is thrown, and the job fails with it.
 */
export async function syncAsset(deps: SyncDeps, assetId: number, options: SyncOptions): Promise<SyncReport> {
  const asset = await getAsset(deps.db, assetId);
  if (!asset) throw notFound();
  const owner = asset.namespace;
  const repo = asset.name;
  const log = deps.logger.child({ asset: `${owner}/${repo}`, jobId: options.jobId ?? undefined });
  // Read once per sync: every release of the asset is judged against the same keys.
  deps = { ...deps, signatures: await signaturePolicy(deps.db, owner, deps.requireSignatures ?? false) };
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
    const rendered = await deps.db.transaction(async (tx) => {
      await updateFromGitHub(tx, assetId, repository);
      return renderAsset(tx, assetId, deps.render, 'all');
    });
    if (rendered) await invalidate();
  }

  const known = new Map((await listVersions(deps.db, assetId)).map((v) => [v.tag, v]));
  const published = new Set<string>();
  for (const release of listed.releases) {
    if (release.draft) {
      if (!published.has(release.tag))
        report.versions.push({ tag: release.tag, outcome: 'draft', commit: null, diagnostics: [] });
      continue;
    }
    published.add(release.tag);
    try {
      const result = await syncRelease(deps, asset, release, known.get(release.tag), options);
      report.versions.push(result);
      if (result.outcome === 'ingested' || result.outcome === 'restored' || result.withdrawn)
        await invalidate();
    } catch (err) {
      // Only an outage is worth retrying; anything else (the database, a bug) stops the sync and the job.
      if (!isGitHubFailure(err)) throw err;
      log.warn({ tag: release.tag, err: messageOf(err) }, 'release not ingested: will retry');
      report.versions.push({
        tag: release.tag,
        outcome: 'retry',
        commit: null,
        diagnostics: [],
        message: messageOf(err),
      });
    }
  }
  // Drafts that also appear published are reported once, as published.
  report.versions = report.versions.filter((v) => v.outcome !== 'draft' || !published.has(v.tag));

  for (const version of known.values()) {
    if (published.has(version.tag) || version.removedAt !== null) continue;
    await deps.db.transaction(async (tx) => {
      await markRemoved(tx, version.id);
      await appendIngestLog(tx, assetId, {
        tag: version.tag,
        jobId: options.jobId ?? null,
        outcome: 'removed',
        commitSha: version.commitSha,
        message: 'the release is no longer on GitHub: removed from the API, kept in the store',
        diagnostics: [],
      });
      await renderAsset(tx, assetId, deps.render, 'changed');
    });
    await invalidate();
    report.versions.push({
      tag: version.tag,
      outcome: 'removed',
      commit: version.commitSha,
      diagnostics: [],
    });
  }

  // Only a complete sync may advance the ETags, or the poller would never look at a skipped release again.
  if (!report.versions.some((v) => v.outcome === 'retry'))
    await saveReleasesEtags(deps.db, assetId, listed.etags);
  log.info({ versions: report.versions.map((v) => `${v.tag}:${v.outcome}`).join(' ') }, 'asset synced');
  return report;
}

/** What a job keeps of a sync: counts per outcome (the details are in the ingest log). */
export function summarizeSync(report: SyncReport): {
  notModified: boolean;
  outcomes: Record<string, number>;
} {
  const outcomes: Record<string, number> = {};
  for (const v of report.versions) outcomes[v.outcome] = (outcomes[v.outcome] ?? 0) + 1;
  return { notModified: report.notModified, outcomes };
}

/** GitHub (or its download CDN) failed or could not be reached, after the client's own retries. */
function isGitHubFailure(err: unknown): boolean {
  return isRegistryError(err) && err.code === 'GITHUB_FAILED';
}

/** Throws when GitHub failed on some release, so the job runs again with backoff. */
export function assertSyncComplete(report: SyncReport): SyncReport {
  const retries = report.versions.filter((v) => v.outcome === 'retry');
  if (retries.length > 0) {
    throw new RegistryError(
      'GITHUB_FAILED',
      `${retries.length} release(s) of ${report.asset} could not be read: ` +
        retries.map((r) => `${r.tag}: ${r.message}`).join('; '),
      { hint: 'the job retries with backoff' },
    );
  }
  return report;
}

async function syncRelease(
  deps: SyncDeps,
  asset: AssetRecord,
  release: Release,
  previous: VersionRecord | undefined,
  options: SyncOptions,
): Promise<VersionReport> {
  const owner = asset.namespace;
  const repo = asset.name;
  const version = await trackRelease(deps.db, asset.id, release.tag, {
    releaseId: String(release.id),
    prerelease: release.prerelease,
  });

  // The commit: unparseable tags never get that far (they can never be served).
  let commit: string | null = null;
  if (unparseableTag(release.tag).length === 0) {
    const ref = await deps.github.resolveTag(owner, repo, release.tag, previous?.tagEtag);
    if (ref === undefined) {
      return recordFailure(
        deps,
        asset,
        version,
        options,
        releaseFingerprint(null, release.files, deps.signatures?.fingerprint),
        null,
        {
          configFile: undefined,
          errors: [
            diagnostic(
              'RELEASE_TAG_NOT_FOUND',
              `release ${release.tag} has no git tag ${release.tag} in ${owner}/${repo}; push it with ` +
                `\`git push origin ${release.tag}\``,
            ),
          ],
          warnings: [],
        },
      );
    }
    if (ref.notModified && previous?.tagCommit) {
      commit = previous.tagCommit;
    } else if (!ref.notModified) {
      commit = ref.commit;
      await saveTagRef(deps.db, version.id, ref.etag, ref.commit);
    } else {
      // A 304 without a remembered commit cannot happen unless the row was edited; ask again in full.
      const fresh = await deps.github.resolveTag(owner, repo, release.tag, null);
      if (!fresh || fresh.notModified)
        throw new RegistryError('GITHUB_FAILED', `cannot resolve tag ${release.tag}`);
      commit = fresh.commit;
      await saveTagRef(deps.db, version.id, fresh.etag, fresh.commit);
    }
  }
  const fingerprint = releaseFingerprint(commit, release.files, deps.signatures?.fingerprint);

  if (!options.force && version.fingerprint === fingerprint) {
    if (isServed(version)) return { tag: release.tag, outcome: 'unchanged', commit, diagnostics: [] };
    if (version.removedAt !== null) {
      await deps.db.transaction(async (tx) => {
        await markRestored(tx, version.id);
        await appendIngestLog(tx, asset.id, {
          tag: release.tag,
          jobId: options.jobId ?? null,
          outcome: 'restored',
          commitSha: commit,
          message: 'the release is back on GitHub with the same content',
          diagnostics: [],
        });
        await renderAsset(tx, asset.id, deps.render, 'changed');
      });
      return { tag: release.tag, outcome: 'restored', commit, diagnostics: [] };
    }
  }
  if (!options.force && version.attemptState === 'failed' && version.attemptFingerprint === fingerprint) {
    return { tag: release.tag, outcome: 'still-failing', commit, diagnostics: version.attemptErrors };
  }

  const result =
    commit === null
      ? { ok: false as const, configFile: undefined, errors: unparseableTag(release.tag), warnings: [] }
      : await ingestRelease(deps, { owner, repo, release, commit });
  if (!result.ok) return recordFailure(deps, asset, version, options, fingerprint, commit, result);

  const good = result;
  try {
    await deps.db.transaction(async (tx) => {
      await saveGoodIngest(tx, version.id, {
        fingerprint,
        commitSha: commit!,
        annotations: good.annotations,
        labels: good.labels,
        warnings: good.warnings,
        builds: good.builds,
      });
      await appendIngestLog(tx, asset.id, {
        tag: release.tag,
        jobId: options.jobId ?? null,
        outcome: 'ingested',
        commitSha: commit,
        message: `${good.builds.length} build(s) from ${good.configFile}`,
        diagnostics: good.warnings,
      });
      await renderAsset(tx, asset.id, deps.render, 'changed');
    });
  } catch (err) {
    // Rolled back: the copies are removed and what is served stays as it was.
    await good.artifacts.discard();
    throw err;
  }
  // Only now do mirrored copies reach their URLs: nothing served pointed at them before the commit.
  await good.artifacts.publish();
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
  deps: SyncDeps,
  asset: AssetRecord,
  version: VersionRecord,
  options: SyncOptions,
  fingerprint: string,
  commit: string | null,
  result: { configFile: string | undefined; errors: Diagnostic[]; warnings: Diagnostic[] },
): Promise<VersionReport> {
  const diagnostics = [...result.errors, ...result.warnings];
  // Provenance is not "last good data": a version whose signature no longer verifies (a key revoked, a
  // namespace that now needs signatures) stops being served instead of staying served-stale.
  const withdraw =
    isServed(version) &&
    result.errors.some((d) => d.code === 'SIGNATURE_MISSING' || d.code === 'SIGNATURE_INVALID');
  await deps.db.transaction(async (tx: Queryable) => {
    await recordFailedAttempt(tx, version.id, {
      fingerprint,
      commit,
      errors: result.errors,
      warnings: result.warnings,
    });
    if (withdraw) await withdrawVersion(tx, version.id);
    await appendIngestLog(tx, asset.id, {
      tag: version.tag,
      jobId: options.jobId ?? null,
      outcome: 'failed',
      commitSha: commit,
      message: withdraw
        ? 'not ingested; no longer served: its signature does not verify'
        : isServed(version)
          ? `not ingested; still serving the data of commit ${version.commitSha}`
          : 'not ingested',
      diagnostics,
    });
    if (withdraw) await renderAsset(tx, asset.id, deps.render, 'changed');
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
