import type { Command } from 'commander';
import { formatDiagnostic } from '../../bonsai-schema/index.js';
import { EXIT, type ExitCode } from '../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../common/io.js';
import { withVerbHelp } from '../../common/verb-help.js';
import type { ActionRunner } from '../../common/verb.js';
import { RegistryError, messageOf } from '../errors.js';
import { importedAsset, type SyncReport } from '../ingest/sync.js';
import { newHolderId } from '../jobs/lease.js';
import { heldBy, runningJob, startOwnJob } from '../jobs/queue.js';
import { recoverInterruptedJobs } from '../jobs/recover.js';
import { runAndRecordJob } from '../jobs/run.js';
import { runSyncJob, unreadReleases } from '../jobs/sync-job.js';
import { findLocalServer, type LocalServer } from '../local-server.js';
import { parseRepository, type RepositoryRef } from '../repos.js';
import type { Runtime } from '../runtime.js';
import { recordAudit } from '../store/audit.js';
import { findAsset } from '../store/assets.js';
import { cliActor } from './actor.js';
import { notRegistered } from './not-registered.js';
import { SYNC_SETTINGS, configFrom, withSettingFlags, type VerbOptions } from './options.js';
import { remoteSync } from './remote.js';
import { withRuntime } from './with-runtime.js';

/** `bonsai registry sync OWNER/NAME`. */
type SyncVerbOptions = VerbOptions<{ force?: boolean; json?: boolean }>;

function printReport(io: Io, report: SyncReport): void {
  writeLine(io.stdout, report.asset + (report.notModified ? ': nothing changed on GitHub' : ''));
  const width = Math.max(8, ...report.versions.map((v) => v.tag.length));
  for (const v of report.versions) {
    const detail =
      v.outcome === 'ingested'
        ? `${v.builds} build(s) from ${v.configFile} at ${v.commit?.slice(0, 12)}`
        : v.outcome === 'retry'
          ? (v.message ?? '')
          : '';
    writeLine(io.stdout, `  ${v.tag.padEnd(width)}  ${v.outcome.padEnd(13)}  ${detail}`.trimEnd());
    for (const d of v.diagnostics)
      writeLine(io.stdout, `      ${formatDiagnostic(d, v.configFile ?? 'bonsai.yml')}`);
  }
}

/**
 * Syncs one asset now, as a job of this process: the job table's rule (one running job per asset) keeps
 * it from running beside a server's job for the same asset, and it runs as the worker runs jobs (the same
 * runAndRecordJob and runSyncJob: lease renewed, deadline, every write fenced). The job records what
 * happened; it is never retried: the report says what failed.
 */
async function syncAsOwnJob(runtime: Runtime, assetId: number, name: string, force: boolean) {
  const { db, config, logger } = runtime;
  await recoverInterruptedJobs(db);
  const holder = newHolderId();
  const job = await startOwnJob(
    db,
    assetId,
    { force, conditional: false, trigger: 'sync' },
    holder,
    config.jobLeaseMs,
  );
  if (!job) {
    const running = await runningJob(db, assetId);
    throw new RegistryError(
      'SYNC_RUNNING',
      `a sync of ${name} is running now${running ? ` (job ${running.id}, in ${running.lockedBy})` : ''}`,
      { hint: `wait for it to finish (bonsai registry status ${name} shows it), then sync again` },
    );
  }
  await recordAudit(db, { actor: cliActor(), action: 'sync.run', target: name, detail: { job: job.id } });
  const held = heldBy(job, holder);
  const log = logger.child({ jobId: job.id });
  let report: SyncReport | undefined;
  const { end, recorded, recordError } = await runAndRecordJob({
    db,
    held,
    leaseMs: config.jobLeaseMs,
    deadlineMs: config.jobDeadlineMs,
    logger: log,
    work: (signal) => runSyncJob(runtime, job, held, signal, (seen) => (report = seen)),
    retryIn: () => undefined,
  });
  switch (end.kind) {
    case 'done':
      if (recordError !== undefined) throw recordError;
      if (!recorded) throw lostTheJob(job.id);
      return report!;
    case 'failed':
    case 'deadline':
      if (recordError !== undefined)
        log.error({ err: messageOf(recordError) }, 'cannot record the failure of the sync job');
      // An incomplete sync failed the job; the report says which releases GitHub did not give.
      if (end.kind === 'failed' && report && unreadReleases(report).length > 0) return report;
      throw end.error;
    case 'lease-lost':
    case 'stopped':
      throw lostTheJob(job.id);
  }
}

/** Another process took this command's job over (it paused longer than JOB_LEASE). */
function lostTheJob(jobId: number): RegistryError {
  return new RegistryError(
    'JOB_LEASE_LOST',
    `sync job ${jobId} was taken over by another process while this command paused; it wrote nothing after that`,
  );
}

/** `sync` while `serve` holds the embedded database: the server runs the job; its result is printed. */
async function syncThrough(
  io: Io,
  server: LocalServer,
  ref: RepositoryRef,
  repository: string,
  options: SyncVerbOptions,
): Promise<ExitCode> {
  if (options.force === true) {
    throw new RegistryError('DATABASE_IN_USE', `--force is not available while serve runs on ${server.url}`, {
      hint: 'stop serve and run the sync again, or sync without --force',
    });
  }
  const done = await remoteSync(server, ref);
  if (!done) throw notRegistered(repository);
  const { job, status } = done;
  if (options.json === true) writeJson(io.stdout, { job, versions: status.versions });
  else {
    writeLine(io.stdout, `${status.name}: sync job ${job.id} ${job.state} on the registry at ${server.url}`);
    for (const v of status.versions)
      writeLine(io.stdout, `  ${v.version}  ${v.state}${v.commit ? `  ${v.commit.slice(0, 12)}` : ''}`);
    if (job.last_error) writeLine(io.stdout, `  ${job.last_error}`);
  }
  if (job.state === 'failed') return EXIT.SERVICE;
  return status.versions.some((v) => v.state === 'failed' || v.state === 'served-stale')
    ? EXIT.INVALID
    : EXIT.OK;
}

export function registerSync(registry: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    withSettingFlags(
      registry
        .command('sync')
        .summary('Ingest the releases of OWNER/NAME now and print what happened to each version.')
        .description(
          'Ingest the releases of a registered repository now, as a job of the job table (so never beside ' +
            "another job of the same asset), and print each version's outcome with its errors in " +
            "Bonsai's wording and bonsai.yml line numbers. Unchanged releases are skipped unless --force.",
        )
        .argument('<OWNER/NAME>', 'A registered repository.')
        .option('--force', 'Re-ingest every release, even unchanged ones.')
        .option('--json', 'Print the report as JSON.'),
      SYNC_SETTINGS,
    ),
    io,
    {
      examples: [
        'bonsai registry sync sensu/sensu-slack-handler',
        'GITHUB_TOKEN=... bonsai registry sync sensu/sensu-slack-handler --force --json',
      ],
      exitCodes: [
        [0, 'Every version was ingested, or was unchanged.'],
        [1, 'The repository is not registered, or a version failed to ingest.'],
        [2, 'Usage error, such as an invalid setting.'],
        [3, 'GitHub or the database failed, or another sync of the asset is running.'],
      ],
    },
  ).action(
    run(async (repository: string, options: SyncVerbOptions) => {
      const ref = parseRepository(repository);
      const server = await findLocalServer(configFrom(io, options));
      if (server) return syncThrough(io, server, ref, repository, options);
      return withRuntime(io, options, async (runtime) => {
        const asset = await findAsset(runtime.db, ref.namespace, ref.name);
        if (!asset) throw notRegistered(repository);
        const name = `${asset.namespace}/${asset.name}`;
        if (asset.importedFrom !== null) throw importedAsset(name, asset.importedFrom);
        const report = await syncAsOwnJob(runtime, asset.id, name, options.force === true);
        if (options.json === true) writeJson(io.stdout, report);
        else printReport(io, report);
        if (unreadReleases(report).length > 0) return EXIT.SERVICE;
        return report.versions.some((v) => v.outcome === 'failed' || v.outcome === 'still-failing')
          ? EXIT.INVALID
          : EXIT.OK;
      });
    }),
  );
}
