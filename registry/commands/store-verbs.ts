import type { Command } from 'commander';
import { formatDiagnostic } from '../../bonsai-schema/index.js';
import { EXIT, type ExitCode } from '../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../common/io.js';
import { withVerbHelp } from '../../common/verb-help.js';
import type { ActionRunner } from '../../common/verb.js';
import { migrate, pendingMigrations, readMigrations } from '../db/migrate.js';
import { openDb } from '../db/open.js';
import type { Db } from '../db/port.js';
import { RegistryError, messageOf } from '../errors.js';
import { importedAsset, summarizeSync, syncAsset, type SyncReport } from '../ingest/sync.js';
import { newHolderId } from '../jobs/lease.js';
import { heldBy, releaseRunningJobs, runningJob, startOwnJob } from '../jobs/queue.js';
import { jobErrorText, recordJobEnd, runHeldJob, versionErrorOf } from '../jobs/run.js';
import { createLogger } from '../logger.js';
import { parseRegistration, parseRepository, registerRepository, type RepositoryRef } from '../repos.js';
import { openRuntime, type Runtime } from '../runtime.js';
import {
  assertDatabaseExists,
  assetStatus,
  registryOverview,
  type AssetStatus,
  type RegistryOverview,
} from '../status.js';
import { findLocalServer, type LocalServer } from '../local-server.js';
import { remoteAddRepo, remoteAssetStatus, remoteOverview, remoteSync } from './remote.js';
import { findAsset } from '../store/assets.js';
import { recordAudit } from '../store/audit.js';
import { cliActor } from './actor.js';
import { DATABASE_SETTINGS, STORE_SETTINGS, SYNC_SETTINGS, configFrom, withSettingFlags } from './options.js';

/** CLI verbs log only warnings (to stderr); their results go to stdout. */
function quietLogger(io: Io, level: string) {
  return createLogger(level === 'info' ? 'warn' : level, io.stderr);
}

/** Opens the registry's ports for one command and closes them after, whatever happens. */
async function withRuntime<T>(
  io: Io,
  options: Record<string, unknown>,
  fn: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const config = configFrom(io, options);
  const runtime = await openRuntime(config, quietLogger(io, config.logLevel));
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

export function registerMigrate(registry: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    withSettingFlags(
      registry
        .command('migrate')
        .summary('Apply the database migrations.')
        .description(
          'Apply the database migrations that are not applied yet, under a lock, so that several ' +
            'registry processes may start together. `serve` also applies them at start.',
        ),
      DATABASE_SETTINGS,
    ),
    io,
    {
      examples: [
        'bonsai registry migrate',
        'DATABASE_URL=postgres://bonsai@db/bonsai bonsai registry migrate',
      ],
      exitCodes: [
        [0, 'The database is up to date.'],
        [2, 'A setting is invalid.'],
        [3, 'The database failed.'],
      ],
    },
  ).action(
    run(async (options: Record<string, unknown>) => {
      const config = configFrom(io, options);
      const db = await openDb(config, () => undefined);
      try {
        const applied = await migrate(db);
        writeLine(
          io.stdout,
          applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date',
        );
        return EXIT.OK;
      } finally {
        await db.close();
      }
    }),
  );
}

export function registerAddRepo(registry: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    withSettingFlags(
      registry
        .command('add-repo')
        .summary('Register a GitHub repository as asset OWNER/NAME and queue its first sync.')
        .description(
          'Register a GitHub repository as asset OWNER/NAME (namespace = owner, name = repository, ' +
            'version = tag) and queue its first sync, which a running `bonsai registry serve` picks up; ' +
            '`bonsai registry sync` runs it now. Running it again updates the tier, tags and description.',
        )
        .argument('<OWNER/NAME>', 'The GitHub repository.')
        .option('--tier <tier>', 'The Bonsai tier shown in io.sensu.bonsai.tier (default: Community).')
        .option('--tags <a,b>', 'The tags shown in io.sensu.bonsai.tags, separated by commas.')
        .option('--description <text>', 'The description (default: the GitHub repository description).'),
      STORE_SETTINGS,
    ),
    io,
    {
      examples: [
        'bonsai registry add-repo sensu/sensu-slack-handler --tier Supported --tags slack,handler',
        'bonsai registry add-repo acme/sensu-check-foo && bonsai registry sync acme/sensu-check-foo',
      ],
      exitCodes: [
        [0, 'The repository was registered (or updated) and its sync queued.'],
        [1, 'OWNER/NAME or a setting of it is invalid.'],
        [2, 'Usage error, such as an invalid setting.'],
        [3, 'The database failed.'],
      ],
    },
  ).action(
    run(async (repository: string, options: Record<string, unknown>) => {
      const { ref, settings } = parseRegistration({
        repository,
        tier: options.tier,
        tags: options.tags,
        description: options.description,
      });
      const server = await findLocalServer(configFrom(io, options));
      if (server) {
        return remoteAddRepo(server, ref, settings).then((reg) => {
          writeLine(
            io.stdout,
            `${reg.created ? 'registered' : 'updated'} ${reg.name} (sync job ${reg.jobId} queued)`,
          );
          writeLine(io.stderr, `the registry running at ${server.url} ingests it now`);
          return EXIT.OK;
        });
      }
      return withRuntime(io, options, async (runtime) => {
        const reg = await registerRepository(runtime, ref, settings, 'add-repo', { actor: cliActor() });
        const name = `${reg.asset.namespace}/${reg.asset.name}`;
        writeLine(
          io.stdout,
          `${reg.created ? 'registered' : 'updated'} ${name} (sync job ${reg.jobId} queued)`,
        );
        writeLine(
          io.stderr,
          `a running \`bonsai registry serve\` ingests it; or now: bonsai registry sync ${name}`,
        );
        return EXIT.OK;
      });
    }),
  );
}

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

/** An unknown OWNER/NAME, with the command that registers it. */
function notRegistered(repository: string): RegistryError {
  return new RegistryError('NOT_FOUND', `${repository} is not registered`, {
    hint: `register it first: bonsai registry add-repo ${repository}`,
  });
}

/**
 * Syncs one asset now, as a job of this process: the job table's rule (one running job per asset) keeps
 * it from running beside a server's job for the same asset, and it runs as the worker runs jobs (lease
 * renewed, deadline, every write fenced). The job records what happened; it is never retried.
 */
async function syncAsOwnJob(runtime: Runtime, assetId: number, name: string, force: boolean) {
  const { db, config, logger } = runtime;
  // The embedded database is open in this process only: jobs it shows running were interrupted.
  if (db.kind === 'pglite') await releaseRunningJobs(db);
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
  const end = await runHeldJob({
    db,
    held,
    leaseMs: config.jobLeaseMs,
    deadlineMs: config.jobDeadlineMs,
    logger: log,
    work: (signal) => syncAsset(runtime.syncDeps, assetId, { force, conditional: false, held, signal }),
  });
  const failed = (error: unknown, sameContent: boolean) =>
    recordJobEnd(db, held, {
      kind: 'failed',
      error: jobErrorText(error, job.id),
      retryInMs: undefined,
      versionError: versionErrorOf(error, job.id),
      sameContent,
    }).catch((e: unknown) => {
      log.error({ err: messageOf(e) }, 'cannot record the failure of the sync job');
      return false;
    });
  switch (end.kind) {
    case 'done': {
      const report = end.result as SyncReport;
      const incomplete = report.versions.filter((v) => v.outcome === 'retry');
      if (incomplete.length > 0) {
        const message = incomplete.map((v) => `${v.tag}: ${v.message ?? 'not read'}`).join('; ');
        await failed(new RegistryError('GITHUB_FAILED', message), false);
      } else if (!(await recordJobEnd(db, held, { kind: 'done', result: summarizeSync(report) }))) {
        throw lostTheJob(job.id);
      }
      return report;
    }
    case 'failed':
      await failed(end.error, false);
      throw end.error;
    case 'deadline':
      await failed(end.error, true);
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
  options: Record<string, unknown>,
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
    run(async (repository: string, options: Record<string, unknown>) => {
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
        if (report.versions.some((v) => v.outcome === 'retry')) return EXIT.SERVICE;
        return report.versions.some((v) => v.outcome === 'failed' || v.outcome === 'still-failing')
          ? EXIT.INVALID
          : EXIT.OK;
      });
    }),
  );
}

/** Read-only verbs never change the schema: a database that needs migrations is refused instead. */
async function refuseUnmigrated(db: Db): Promise<void> {
  const pending = await pendingMigrations(db);
  if (pending.length === 0) return;
  if (pending.length === (await readMigrations()).length) {
    // Nothing was ever applied: no registry ran with these settings, which is not a migration problem.
    throw new RegistryError(
      'DATABASE_NOT_MIGRATED',
      `no registry has run on ${db.description}: it holds no registry data`,
      {
        hint: 'point DATA_DIR (or DATABASE_URL) at the data of the registry to inspect, or start one here: bonsai registry serve',
      },
    );
  }
  throw new RegistryError(
    'DATABASE_NOT_MIGRATED',
    `the database (${db.description}) is missing migrations ${pending.join(', ')}; this command only reads, so it does not apply them`,
    { hint: 'run bonsai registry migrate (serve also migrates at start), then run this command again' },
  );
}

function printAssetStatus(io: Io, status: AssetStatus, json: boolean): ExitCode {
  if (json) {
    writeJson(io.stdout, status);
    return EXIT.OK;
  }
  const origin = status.source === 'github' ? status.github_url : status.source;
  writeLine(io.stdout, `${status.name}  (${origin}; last sync ${status.synced_at ?? 'never'})`);
  for (const v of status.versions) {
    writeLine(io.stdout, `  ${v.version}  ${v.state}${v.commit ? `  ${v.commit.slice(0, 12)}` : ''}`);
    for (const d of [...v.errors, ...v.warnings])
      writeLine(io.stdout, `      ${formatDiagnostic(d, 'bonsai.yml')}`);
  }
  for (const j of status.jobs.filter((j) => j.state === 'pending' || j.state === 'failed')) {
    writeLine(
      io.stdout,
      `  job ${j.id} ${j.state} (${j.trigger}, ${j.attempts} attempts)${j.last_error ? `: ${j.last_error}` : ''}`,
    );
  }
  return EXIT.OK;
}

function printOverview(io: Io, overview: RegistryOverview, json: boolean): ExitCode {
  if (json) {
    writeJson(io.stdout, overview);
    return EXIT.OK;
  }
  for (const r of overview.assets) {
    writeLine(
      io.stdout,
      `${r.name}  ${r.served} served, ${r.failed} failing, ${r.removed} removed; last sync ${r.synced_at ?? 'never'}`,
    );
  }
  const jobs = overview.jobs;
  writeLine(
    io.stdout,
    `jobs: ${jobs.pending ?? 0} pending, ${jobs.running ?? 0} running, ${jobs.failed ?? 0} failed, ${jobs.done ?? 0} done`,
  );
  return EXIT.OK;
}

export function registerStatus(registry: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    withSettingFlags(
      registry
        .command('status')
        .summary("Show each asset's versions and ingest errors.")
        .description(
          'Show every registered asset with its served, failing and removed versions and the job counts; ' +
            "with OWNER/NAME, that asset's versions, their state and ingest errors, and its pending or " +
            'failed jobs. It only reads: it never creates or migrates a database.',
        )
        .argument('[OWNER/NAME]', 'A registered repository (default: every asset).')
        .option('--json', 'Print JSON.'),
      DATABASE_SETTINGS,
    ),
    io,
    {
      examples: ['bonsai registry status', 'bonsai registry status sensu/sensu-slack-handler --json'],
      exitCodes: [
        [0, 'The status was printed.'],
        [1, 'The repository is not registered.'],
        [2, 'Usage error, such as an invalid setting.'],
        [3, 'The database failed, is missing or is not migrated.'],
      ],
    },
  ).action(
    run(async (repository: string | undefined, options: Record<string, unknown>) => {
      const config = configFrom(io, options);
      const server = await findLocalServer(config);
      if (server) {
        if (repository) {
          const ref = parseRepository(repository);
          const status = await remoteAssetStatus(server, ref);
          if (!status) throw notRegistered(repository);
          return printAssetStatus(io, status, options.json === true);
        }
        return printOverview(io, await remoteOverview(server), options.json === true);
      }
      await assertDatabaseExists(config);
      const db = await openDb(config, () => undefined);
      try {
        await refuseUnmigrated(db);
        if (repository) {
          const ref = parseRepository(repository);
          const status = await assetStatus(db, ref.namespace, ref.name);
          if (!status) throw notRegistered(repository);
          return printAssetStatus(io, status, options.json === true);
        }
        return printOverview(io, await registryOverview(db), options.json === true);
      } finally {
        await db.close();
      }
    }),
  );
}
