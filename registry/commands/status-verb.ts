import type { Command } from 'commander';
import { formatDiagnostic } from '../../bonsai-schema/index.js';
import { EXIT, type ExitCode } from '../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../common/io.js';
import { withVerbHelp } from '../../common/verb-help.js';
import type { ActionRunner } from '../../common/verb.js';
import { findLocalServer } from '../local-server.js';
import { parseRepository, type RepositoryRef } from '../repos.js';
import {
  assetStatus,
  registryOverview,
  withStatusDb,
  type AssetStatus,
  type RegistryOverview,
} from '../status.js';
import { notRegistered } from './not-registered.js';
import { DATABASE_SETTINGS, configFrom, withSettingFlags, type VerbOptions } from './options.js';
import { remoteAssetStatus, remoteOverview } from './remote.js';

/** `bonsai registry status [OWNER/NAME]`. */
type StatusOptions = VerbOptions<{ json?: boolean }>;

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
    run(async (repository: string | undefined, options: StatusOptions) => {
      const json = options.json === true;
      const config = configFrom(io, options);
      const server = await findLocalServer(config);
      // Beside a running embedded server the status comes from it (it holds the database).
      if (server) {
        return printStatus(io, repository, json, {
          asset: (ref) => remoteAssetStatus(server, ref),
          overview: () => remoteOverview(server),
        });
      }
      return withStatusDb(config, (db) =>
        printStatus(io, repository, json, {
          asset: (ref) => assetStatus(db, ref.namespace, ref.name),
          overview: () => registryOverview(db),
        }),
      );
    }),
  );
}

/** Prints one asset's status, or every asset's, from wherever `source` reads them. */
async function printStatus(
  io: Io,
  repository: string | undefined,
  json: boolean,
  source: {
    asset(ref: RepositoryRef): Promise<AssetStatus | undefined>;
    overview(): Promise<RegistryOverview>;
  },
): Promise<ExitCode> {
  if (!repository) return printOverview(io, await source.overview(), json);
  const status = await source.asset(parseRepository(repository));
  if (!status) throw notRegistered(repository);
  return printAssetStatus(io, status, json);
}
