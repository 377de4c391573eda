import type { Command } from 'commander';
import { SIGNATURE_SUFFIX } from '../../../bonsai-schema/signature-suffix.js';
import { SIGNING_KEY_ENV } from '../../signing/key-env.js';
import type { Io } from '../../../common/io.js';
import { withVerbHelp } from '../../../common/verb-help.js';
import type { ActionRunner } from '../../../common/verb.js';
import type { PackOptions } from './run.js';

/** Only the verb's name, help and options: its work is in ./run.ts, imported when it runs. */
export function registerPack(program: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    program
      .command('pack')
      .summary('Build one reproducible archive per build of bonsai.yml, and the checksum file.')
      .description(
        'Build one .tar.gz per build of bonsai.yml, named by its asset_filename, and the sha512 checksum ' +
          "file(s) named by sha_filename in goreleaser's form (sha512sum -c passes in the output folder). " +
          'Each archive holds bin/, lib/ and include/ (from build/<platform>_<arch>/ when that folder ' +
          'exists) plus the README, LICENSE and CHANGELOG files, with sorted entries, mtime ' +
          'SOURCE_DATE_EPOCH (or 0), uid/gid 0 and modes 0755/0644: the same inputs always give the same ' +
          'bytes. Symlinks leaving the tree, hard links, devices, fifos, sockets, unsafe names, unreadable ' +
          'files and non-executable files in bin/ are refused, and then nothing is written.',
      )
      .argument('[dir]', 'The asset project (default: the current folder).')
      .option('--version <version>', 'The release tag, verbatim (default: the git tag at HEAD).')
      .option(
        '--repo <name>',
        "The GitHub repository name for #{repo} (default: the origin remote's, else the folder's).",
      )
      .option('--out <dir>', 'Where to write the archives (default: DIR/dist).')
      .option('--strict', 'Refuse to pack files that differ from the commit of the tag (PACK_DIRTY_TREE).')
      .option(
        '--sign <keyfile>',
        `Sign each checksum file with this minisign secret key (bonsai keygen), writing <file>${SIGNATURE_SUFFIX} beside it (env ${SIGNING_KEY_ENV}: the key's text).`,
      )
      .option(
        '--jobs <n>',
        'Archives written at once, by this thread and worker threads (default: the CPUs available, 1 for a tree under 8 MiB); 1 writes them one after another. The bytes are the same whatever the number.',
      )
      .option('--json', 'Print one JSON object with every file written.'),
    io,
    {
      examples: [
        'bonsai pack --version 1.0.0',
        'SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) bonsai pack . --out dist --json',
        'bonsai pack --version 1.0.0 --jobs 1',
      ],
      exitCodes: [
        [0, 'The archives and checksum files were written.'],
        [
          1,
          'Packing was refused (with --strict, also for files changed since the tag); nothing was written.',
        ],
        [2, 'Usage error, such as no --version and no git tag at HEAD.'],
      ],
    },
  ).action(
    run(async (dir: string | undefined, options: PackOptions) =>
      (await import('./run.js')).runPack(io, dir, options),
    ),
  );
}
