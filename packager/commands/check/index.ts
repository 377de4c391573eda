import type { Command } from 'commander';
import { archiveLimitOptions } from '../archive-limits.js';
import type { Io } from '../../../common/io.js';
import { withVerbHelp } from '../../../common/verb-help.js';
import type { ActionRunner } from '../../../common/verb.js';
import type { CheckOptions } from './run.js';

/** Only the verb's name, help and options: its work is in ./run.ts, imported when it runs. */
export function registerCheck(program: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    archiveLimitOptions(
      program
        .command('check')
        .summary('Say now what the registry and the agent will say about this release.')
        .description(
          'Check a release before it exists, in four steps: bonsai.yml (structure, duplicate builds, ' +
            "filters that do not parse or never match); the registry's own compile over the files in --dist " +
            '(the bonsai-schema function its ingest calls: every asset and checksum file present, every ' +
            "sha512 extractable); each archive's sha512 recomputed against its checksum line; and each " +
            'archive read as the Sensu agent reads it (format by content, bin/ lib/ include/ at the root, ' +
            'exec bits, no duplicate, traversing, linked or special entries). Every problem is listed as ' +
            'FILE:LINE:COL  severity CODE  message, sorted by file, line and column.',
        )
        .argument('[dir]', 'The asset project (default: the current folder).')
        .option('--dist <dir>', 'The folder holding the release files (default: DIR/dist).')
        .option('--version <version>', 'The release tag, verbatim (default: the git tag at HEAD).')
        .option(
          '--repo <name>',
          "The GitHub repository name for #{repo} (default: the origin remote's, else the folder's).",
        )
        .option('--strict', 'Fail on warnings too (a filter that never matches, say).')
        .option(
          '--key <pubfile>',
          'Require every checksum file to be signed by this minisign public key, as a registry whose namespace has keys does (repeatable).',
          (value: string, previous: string[] = []) => [...previous, value],
        ),
    ).option('--json', 'Print one JSON object: {ok, repo, version, archives, diagnostics}.'),
    io,
    {
      examples: ['bonsai check --version 1.0.0', 'bonsai check path/to/project --dist path/to/dist --json'],
      exitCodes: [
        [0, 'The registry and the agent will accept the release.'],
        [1, 'They will not (or --strict and there are warnings).'],
        [2, 'Usage error, such as no --version and no git tag at HEAD.'],
      ],
    },
  ).action(
    run(async (dir: string | undefined, options: CheckOptions) =>
      (await import('./run.js')).runCheck(io, dir, options),
    ),
  );
}
