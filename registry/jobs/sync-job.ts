import { RegistryError } from '../errors.js';
import { syncAsset, type SyncDeps, type SyncReport } from '../ingest/sync.js';
import type { Metrics } from '../metrics.js';
import type { HeldJob, JobRecord } from './queue.js';

/** What a sync job keeps of its sync in the job row: counts per outcome (the details are in the ingest log). */
export interface SyncSummary {
  notModified: boolean;
  outcomes: Record<string, number>;
}

export function summarizeSync(report: SyncReport): SyncSummary {
  const outcomes: Record<string, number> = {};
  for (const v of report.versions) outcomes[v.outcome] = (outcomes[v.outcome] ?? 0) + 1;
  return { notModified: report.notModified, outcomes };
}

/** The releases GitHub failed on: a sync that has any is incomplete. */
export function unreadReleases(report: SyncReport): SyncReport['versions'] {
  return report.versions.filter((v) => v.outcome === 'retry');
}

/** Throws when GitHub failed on some release, so the job fails (and the worker runs it again with backoff). */
export function assertSyncComplete(report: SyncReport): SyncReport {
  const retries = unreadReleases(report);
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

export interface SyncJobDeps {
  syncDeps: SyncDeps;
  metrics: Metrics;
}

/**
 * The work of a sync job, whoever holds it (the server's worker, `bonsai registry sync`): syncs the job's
 * asset as the job (every write fenced by `held`, stopped by `signal`), counts each version's outcome and
 * the job's run, and fails the job when the sync is incomplete. Its result, kept in the job row, is the
 * summary; `seen` gets the whole report first, incomplete or not.
 */
export async function runSyncJob(
  deps: SyncJobDeps,
  job: Pick<JobRecord, 'id' | 'assetId' | 'payload'>,
  held: HeldJob,
  signal: AbortSignal,
  seen?: (report: SyncReport) => void,
): Promise<SyncSummary> {
  if (job.assetId === null) throw new Error(`job ${job.id} names no asset`);
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  try {
    const report = await syncAsset(deps.syncDeps, job.assetId, { ...job.payload, held, signal });
    seen?.(report);
    for (const version of report.versions) deps.metrics.ingestOutcome(version.outcome);
    const summary = summarizeSync(assertSyncComplete(report));
    deps.metrics.job(job.payload.trigger, 'succeeded', seconds());
    return summary;
  } catch (err) {
    deps.metrics.job(job.payload.trigger, 'failed', seconds());
    throw err;
  }
}
