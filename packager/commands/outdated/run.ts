import { EXIT, type ExitCode } from '../../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../../common/io.js';
import { UsageError } from '../../../common/usage-error.js';
import { assetsEndpoint } from '../../bonsai-api/client.js';
import { DEFAULT_REGISTRY_URL } from '../../bonsai-api/defaults.js';
import { readExport, installedAssetsOf } from '../../outdated/installed.js';
import { fetchSensuAssets } from '../../outdated/sensu-api.js';
import { findOutdated, type OutdatedRow } from '../../outdated/outdated.js';
import { reportingFailures } from '../report.js';

export interface OutdatedOptions {
  from?: string;
  sensuUrl?: string;
  sensuNamespace?: string[];
  registry?: string;
  timeout: string;
  json?: boolean;
}

/** `bonsai outdated`: loaded when the verb runs (cli/ registers it from ./index.ts). */
export function runOutdated(io: Io, options: OutdatedOptions): Promise<ExitCode> {
  return reportingFailures(io, options.json, () => outdated(io, options));
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
  const installed = installedAssetsOf(text, source);
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
