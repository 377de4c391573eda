import type { Command } from 'commander';
import type { Io } from '../../../common/io.js';
import { withVerbHelp } from '../../../common/verb-help.js';
import type { ActionRunner } from '../../../common/verb.js';
import type { InitOptions } from './run.js';

/** Only the verb's name, help and options: its work is in ./run.ts, imported when it runs. */
export function registerInit(program: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    program
      .command('init')
      .summary('Create a working asset project: the hello-world of the Sensu docs.')
      .description(
        'Create an asset project that packs as it is: bin/NAME (a shell script printing Hello World), ' +
          'build/windows_amd64/bin/NAME.cmd for Windows agents, a bonsai.yml whose filters the agent matches ' +
          '(linux amd64, arm64 and 32-bit ARMv7, darwin amd64, windows amd64), a README and a .gitignore. ' +
          'Existing files are never overwritten: if any of them exists, nothing is written.',
      )
      .argument('[dir]', 'The project folder, created when missing (default: the current folder).')
      .option('--name <name>', 'The command and asset name (default: the folder name).')
      .option('--json', 'Print {ok, dir, name, files} as JSON.'),
    io,
    {
      examples: [
        'bonsai init hello-world',
        'bonsai init sensu-check-disk && cd sensu-check-disk && bonsai pack --version 0.0.1',
        'bonsai init . --name check-disk --json',
      ],
      exitCodes: [
        [0, 'The project was created.'],
        [1, 'A file of the project exists already; nothing was written.'],
        [2, 'Usage error, such as a name that cannot name an asset.'],
      ],
    },
  ).action(
    run(async (dir: string | undefined, options: InitOptions) =>
      (await import('./run.js')).runInit(io, dir, options),
    ),
  );
}
