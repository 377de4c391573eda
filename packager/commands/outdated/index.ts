import type { Command } from 'commander';
import { DEFAULT_REGISTRY_URL, DEFAULT_TIMEOUT_MS } from '../../bonsai-api/defaults.js';
import type { Io } from '../../../common/io.js';
import { withVerbHelp } from '../../../common/verb-help.js';
import type { ActionRunner } from '../../../common/verb.js';
import type { OutdatedOptions } from './run.js';

/** Only the verb's name, help and options: its work is in ./run.ts, imported when it runs. */
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
  ).action(run(async (options: OutdatedOptions) => (await import('./run.js')).runOutdated(io, options)));
}
