import type { Command } from 'commander';
import { EXIT, type ExitCode } from '../../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../../common/io.js';
import { withVerbHelp } from '../../../common/verb-help.js';
import type { ActionRunner } from '../../../common/verb.js';
import { UsageError } from '../../../common/usage-error.js';
import { DEFAULT_REGISTRY_URL, DEFAULT_TIMEOUT_MS, assetsEndpoint } from '../../bonsai-api/client.js';
import { PackagerError } from '../../errors.js';
import { readExport, readInstalledAssets } from '../../outdated/installed.js';
import { fetchSensuAssets } from '../../outdated/sensu-api.js';
import { findOutdated, type OutdatedRow } from '../../outdated/outdated.js';
import { reportingFailures } from '../report.js';

interface OutdatedOptions {
  from?: string;
  sensuUrl?: string;
  sensuNamespace?: string[];
  registry?: string;
  timeout: string;
  json?: boolean;
}

export function registerOutdated(program: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    program
      .command('outdated')
      .summary('List the assets of a Sensu backend that have newer versions in their registry.')
      .description(
        'Read the assets installed in a Sensu backend (a `sensuctl asset list --format json` or ' +
          '`sensuctl dump assets` file, or the backend API with SENSU_API_KEY or SENSU_ACCESS_TOKEN), find where each came from by its io.sensu.bonsai.* annotations, so ' +
          'assets added under another name are found too, and compare the installed version with the ' +
          'latest release and the latest release of the same major version in that registry. Assets ' +
          'without those annotations are listed as unknown. The exit code is 1 when an asset is outdated, ' +
          'for CI.',
      )
      .option(
        '--from <file>',
        'The export to read: sensuctl asset list --format json, or sensuctl dump assets (JSON or YAML).',
      )
      .option(
        '--sensu-url <url>',
        'Read the assets from this Sensu backend API instead, such as http://sensu-backend:8080.',
      )
      .option(
        '--sensu-namespace <namespace>',
        'The Sensu namespace to read with --sensu-url (repeatable; default: default).',
        (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
      )
      .option(
        '--registry <url>',
        "Ask this registry for every asset (default: each asset's own io.sensu.bonsai.api_url, else " +
          `BONSAI_REGISTRY_URL, else ${DEFAULT_REGISTRY_URL}).`,
      )
      .option(
        '--timeout <seconds>',
        'The timeout of each request, in seconds.',
        String(DEFAULT_TIMEOUT_MS / 1000),
      )
      .option('--json', 'Print one JSON object: {outdated, assets} instead of the table.'),
    io,
    {
      examples: [
        'sensuctl asset list --format json > assets.json && bonsai outdated --from assets.json',
        'sensuctl dump assets --all-namespaces --format yaml > assets.yml && bonsai outdated --from assets.yml --json',
        'bonsai outdated --from assets.json --registry https://assets.example.internal',
        'SENSU_API_KEY=... bonsai outdated --sensu-url http://sensu-backend:8080 --sensu-namespace production',
      ],
      exitCodes: [
        [0, 'No asset is outdated (unknown ones included).'],
        [1, 'At least one asset is outdated, or the export cannot be read.'],
        [2, 'Usage error, such as neither --from FILE nor --sensu-url, or no Sensu API credentials.'],
        [3, 'A registry or the Sensu API could not be reached or answered badly.'],
      ],
    },
  ).action(
    run((options: OutdatedOptions) => reportingFailures(io, options.json, () => outdated(io, options))),
  );
}

async function outdated(io: Io, options: OutdatedOptions): Promise<ExitCode> {
  const timeoutSeconds = Number(options.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError(
      `--timeout must be a positive number of seconds, not ${JSON.stringify(options.timeout)}`,
    );
  }
  if (options.registry !== undefined) assetsEndpoint(options.registry); // a bad URL is a usage error now
  if ((options.from === undefined) === (options.sensuUrl === undefined)) {
    throw new UsageError('give either --from FILE or --sensu-url URL');
  }
  const source = options.from ?? options.sensuUrl!;
  const text =
    options.from !== undefined
      ? await readExport(io, options.from)
      : await fetchSensuAssets(
          options.sensuUrl!,
          options.sensuNamespace ?? ['default'],
          { apiKey: io.env.SENSU_API_KEY, accessToken: io.env.SENSU_ACCESS_TOKEN },
          timeoutSeconds * 1000,
        );
  let installed;
  try {
    installed = readInstalledAssets(text);
  } catch (err) {
    throw new PackagerError(
      'OUTDATED_EXPORT_INVALID',
      `${source} is not a list of Sensu assets: ${(err as Error).message.split('\n')[0]}`,
      {
        hint: 'give the output of sensuctl asset list --format json, or of sensuctl dump assets (--format json or yaml)',
      },
    );
  }
  const rows = await findOutdated(installed, {
    registry: options.registry,
    fallbackRegistry: io.env.BONSAI_REGISTRY_URL ?? DEFAULT_REGISTRY_URL,
    timeoutMs: timeoutSeconds * 1000,
  });
  const count = rows.filter((r) => r.status === 'outdated').length;
  if (options.json) writeJson(io.stdout, { outdated: count, assets: rows });
  else printTable(io, rows, count);
  return count > 0 ? EXIT.INVALID : EXIT.OK;
}

const HEADERS = ['ASSET', 'INSTALLED', 'LATEST', 'LATEST SAME MAJOR', 'REGISTRY', 'STATUS'];
const STATUS_TEXT: Record<OutdatedRow['status'], string> = {
  outdated: 'outdated',
  'up-to-date': 'up to date',
  'unknown-origin': 'unknown: no io.sensu.bonsai annotations',
  'not-in-registry': 'not in the registry',
};

function printTable(io: Io, rows: OutdatedRow[], count: number): void {
  if (rows.length === 0) {
    writeLine(io.stderr, 'no assets in the export');
    return;
  }
  const cells = rows.map((r) => [
    r.source !== null && r.source !== r.asset ? `${r.asset} (${r.source})` : r.asset,
    r.installed ?? '-',
    r.latest ?? '-',
    r.latest_same_major ?? '-',
    r.registry ?? '-',
    STATUS_TEXT[r.status],
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  for (const line of [HEADERS, ...cells]) {
    writeLine(
      io.stdout,
      line
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  }
  writeLine(io.stderr, count === 0 ? 'every asset is up to date' : `${count} outdated`);
}
