import type { Command } from 'commander';
import { DEFAULT_TIMEOUT_MS } from '../../bonsai-api/defaults.js';
import { INDEX_FILE } from '../../mirror/index-file.js';
import type { Io } from '../../../common/io.js';
import { withVerbHelp } from '../../../common/verb-help.js';
import type { ActionRunner } from '../../../common/verb.js';
import type { MirrorOptions } from './run.js';

/** Only the verb's name, help and options: its work is in ./run.ts, imported when it runs. */
export function registerMirror(program: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    program
      .command('mirror')
      .summary('Copy assets of a Bonsai-compatible registry into a folder any static web server can serve.')
      .description(
        'Copy assets from a Bonsai-compatible registry (this one, or bonsai.sensu.io) into a folder that is ' +
          'itself a registry once served by any static web server (nginx, S3, `python3 -m http.server`): ' +
          'the API answers at their API paths, every artifact under artifacts/, and every URL and annotation ' +
          'moved to --base-url, so `bonsai add` and `sensuctl create -f` work from an air-gapped site. ' +
          'Each artifact is checked against its sha512 while it downloads, and nothing is written unless all ' +
          `of them match. A second run downloads only what is new; ${INDEX_FILE} records what the folder holds.`,
      )
      .argument(
        '[assets...]',
        'NAMESPACE/NAME (every version), NAMESPACE/NAME:VERSION or NAMESPACE/NAME:latest.',
      )
      .requiredOption('--from <url>', 'The registry to copy from, such as https://bonsai.sensu.io.')
      .requiredOption('--out <dir>', 'The folder to write the mirror into (created when missing).')
      .option(
        '--base-url <url>',
        'The URL the folder will be served at (needed on the first run; later runs reuse it).',
      )
      .option(
        '--platform <os/arch>',
        'Copy only the builds of this platform/arch, such as linux/amd64 (repeatable).',
        (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
      )
      .option('--from-file <list>', 'Read more assets from LIST, one a line (# starts a comment).')
      .option(
        '--timeout <seconds>',
        'Give up on a request, or a download that stalls, after this many seconds.',
        String(DEFAULT_TIMEOUT_MS / 1000),
      )
      .option('--json', 'Print the result as one JSON object.'),
    io,
    {
      examples: [
        'bonsai mirror sensu/sensu-slack-handler --from https://bonsai.sensu.io --out ./mirror --base-url https://assets.example.internal',
        'bonsai mirror --from-file assets.txt --platform linux/amd64 --from https://bonsai.sensu.io --out ./mirror',
        'cd mirror && python3 -m http.server 8080',
      ],
      exitCodes: [
        [0, 'The mirror holds every asset asked for.'],
        [
          1,
          'An asset or version is unknown, or an artifact does not match its sha512 (nothing was written).',
        ],
        [2, 'Usage error, such as a malformed NAMESPACE/NAME[:VERSION] or no --base-url on a first run.'],
        [3, 'The source registry or an artifact host could not be reached.'],
      ],
    },
  ).action(
    run(async (assets: string[], options: MirrorOptions) =>
      (await import('./run.js')).runMirror(io, assets, options),
    ),
  );
}
