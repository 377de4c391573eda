import type { Command } from 'commander';
import type { Io } from '../../../common/io.js';
import { withVerbHelp } from '../../../common/verb-help.js';
import type { ActionRunner } from '../../../common/verb.js';
import type { LintOptions } from './run.js';

/** Only the verb's name, help and options: its work is in ./run.ts, imported when it runs. */
export function registerLint(program: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    program
      .command('lint')
      .summary('Check a bonsai.yml against every rule Bonsai applies.')
      .description(
        'Check a bonsai.yml against every rule Bonsai applies when it ingests a release, and the ones it ' +
          'should (duplicate builds, filters that never match, unknown tokens). Each problem is listed as ' +
          'FILE:LINE:COL  severity CODE  message, sorted by file, line and column. With --repo and --tag, ' +
          'the file names each build expects in the GitHub release are listed too.',
      )
      .argument('[file]', 'The bonsai.yml, or a folder holding one (default: the current folder).')
      .option('--repo <name>', 'The GitHub repository name for #{repo} (OWNER/NAME or NAME).')
      .option('--tag <tag>', 'The release tag for #{version}, verbatim (a leading v is kept).')
      .option(
        '--explain',
        'Also print, for each build, the machines (os/arch/arm_version) the agent would install it on.',
      )
      .option(
        '--json',
        'Print one JSON object: {valid, errors, warnings, builds} (and explain with --explain).',
      ),
    io,
    {
      examples: [
        'bonsai lint',
        'bonsai lint --explain',
        'bonsai lint path/to/.bonsai.yml --repo sensu-slack-handler --tag 1.5.0 --json',
      ],
      exitCodes: [
        [0, 'The file is valid (warnings allowed).'],
        [1, 'The file is invalid.'],
        [2, 'Usage error, such as --repo without --tag.'],
      ],
    },
  ).action(
    run(async (file: string | undefined, options: LintOptions) =>
      (await import('./run.js')).runLint(io, file, options),
    ),
  );
}
