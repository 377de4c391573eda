import type { Command } from 'commander';
import { DEFAULT_REGISTRY_URL, DEFAULT_TIMEOUT_MS } from '../../bonsai-api/defaults.js';
import type { Io } from '../../../common/io.js';
import { withVerbHelp } from '../../../common/verb-help.js';
import type { ActionRunner } from '../../../common/verb.js';
import type { AddOptions } from './run.js';

/** Only the verb's name, help and options: its work is in ./run.ts, imported when it runs. */
export function registerAdd(program: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    program
      .command('add')
      .summary('Fetch an asset definition by NAMESPACE/NAME[:VERSION] from any Bonsai-compatible registry.')
      .description(
        'Fetch an asset definition from a Bonsai-compatible registry, choosing the version exactly as ' +
          '`sensuctl asset add` does: the latest, pre-releases included, when none or `latest` is given, ' +
          "in the registry's own spelling. The definition is written ready for `sensuctl create -f`, " +
          'renamed to NAMESPACE/NAME (or --rename). sensuctl cannot be pointed at a private registry; ' +
          'this can. Progress goes to standard error, the definition to standard output or --output.',
      )
      .argument('<asset>', 'NAMESPACE/NAME[:VERSION], such as sensu/sensu-slack-handler:1.5.0.')
      .option(
        '--registry <url>',
        `The registry base URL (env BONSAI_REGISTRY_URL, default ${DEFAULT_REGISTRY_URL}).`,
      )
      .option('-r, --rename <name>', 'Name the asset this instead of NAMESPACE/NAME.')
      .option('--format <format>', 'The output format: yaml or json.', 'yaml')
      .option('-o, --output <file>', 'Write the definition to FILE (default: standard output).')
      .option('--list', 'List the versions of NAMESPACE/NAME instead, oldest first.')
      .option(
        '--upgrade <export>',
        'Write the definition once for each asset in EXPORT (sensuctl asset list --format json, or ' +
          'sensuctl dump assets) that came from NAMESPACE/NAME, under its installed name and namespace.',
      )
      .option(
        '--timeout <seconds>',
        'The timeout of each request, in seconds.',
        String(DEFAULT_TIMEOUT_MS / 1000),
      )
      .option(
        '--verify-key <pubfile>',
        "Refuse the definition unless the publisher's checksum file is signed by this minisign public key and lists every build's sha512 (repeatable).",
        (value: string, previous: string[] = []) => [...previous, value],
      ),
    io,
    {
      examples: [
        'bonsai add sensu/sensu-slack-handler --registry https://bonsai.example.com > slack.yml',
        'bonsai add demo/hello-world:0.0.1 -r hello -o hello.yml && sensuctl create -f hello.yml',
        'bonsai add --list demo/hello-world --format json',
        'bonsai add acme/check-cpu:2.0.0 --upgrade assets.json -o upgrade.yml && sensuctl create -f upgrade.yml',
      ],
      exitCodes: [
        [0, 'The definition (or the list) was written.'],
        [1, 'The asset or version is unknown, or the definition is invalid.'],
        [2, 'Usage error, such as a malformed NAMESPACE/NAME[:VERSION].'],
        [3, 'The registry could not be reached or answered badly.'],
      ],
    },
  ).action(
    run(async (asset: string, options: AddOptions) => (await import('./run.js')).runAdd(io, asset, options)),
  );
}
