import type { Command } from 'commander';
import { SIGNATURE_SUFFIX } from '../../../bonsai-schema/signature-suffix.js';
import { archiveLimitOptions } from '../archive-limits.js';
import type { Io } from '../../../common/io.js';
import { withVerbHelp } from '../../../common/verb-help.js';
import type { ActionRunner } from '../../../common/verb.js';
import type { VerifyOptions } from './run.js';

/** Only the verb's name, help and options: its work is in ./run.ts, imported when it runs. */
export function registerVerify(program: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    archiveLimitOptions(
      program
        .command('verify')
        .summary('Verify one archive as the Sensu agent would.')
        .description(
          'Verify one archive the way the Sensu agent does before it installs it: its format by content ' +
            '(gzip or tar; zip, xz, zstd and bzip2 are refused), its sha512 against --sha512 or a checksum ' +
            'file, and its entries (bin/, lib/, include/ at the root, exec bits, nothing duplicated, ' +
            'traversing, linked or special). The entries are printed with their modes, and what lands on ' +
            'PATH, LD_LIBRARY_PATH and CPATH.',
        )
        .argument('<archive>', 'The archive file.')
        .option('--sha512 <hex>', 'The expected sha512 (128 hex digits, any case).')
        .option(
          '--checksums <file>',
          'A checksum file listing the archive (sha512sum, goreleaser or BSD form).',
        )
        .option(
          '--key <pubfile>',
          'Require the checksum file to be signed by this minisign public key (repeatable; needs --checksums).',
          (value: string, previous: string[] = []) => [...previous, value],
        )
        .option(
          '--signature <file>',
          `The checksum file's minisign signature (default: the checksum file's name plus ${SIGNATURE_SUFFIX}).`,
        )
        .option(
          '--windows',
          'Inspect it as a Windows build (bin/ needs a .exe, .bat or .cmd; exec bits do not matter).',
        ),
    ).option('--json', 'Print one JSON object: {ok, format, size, sha512, entries, agent, diagnostics}.'),
    io,
    {
      examples: [
        'bonsai verify dist/x_1.0.0_linux_amd64.tar.gz --checksums dist/x_1.0.0_sha512-checksums.txt',
        'curl -sLO URL && bonsai verify x.tar.gz --sha512 "$SHA512"',
        'bonsai verify x_1.0.0_linux_amd64.tar.gz --checksums x_1.0.0_sha512-checksums.txt --key acme.pub',
      ],
      exitCodes: [
        [0, 'The agent would install the archive.'],
        [1, 'It would not.'],
        [2, 'Usage error, such as both --sha512 and --checksums.'],
      ],
    },
  ).action(
    run(async (archive: string, options: VerifyOptions) =>
      (await import('./run.js')).runVerify(io, archive, options),
    ),
  );
}
