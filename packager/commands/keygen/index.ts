import type { Command } from 'commander';
import type { Io } from '../../../common/io.js';
import { withVerbHelp } from '../../../common/verb-help.js';
import type { ActionRunner } from '../../../common/verb.js';
import type { KeygenOptions } from './run.js';

/** Only the verb's name, help and options: its work is in ./run.ts, imported when it runs. */
export function registerKeygen(program: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    program
      .command('keygen')
      .summary('Make a minisign key pair to sign checksum files with (bonsai pack --sign).')
      .description(
        "Make an Ed25519 key pair in minisign's formats: the secret key, unencrypted and mode 0600 (it is " +
          'meant for a CI secret such as BONSAI_SIGNING_KEY, where a password would sit beside it anyway), ' +
          'and the public key to register at the registry (bonsai registry key add) and to give users ' +
          '(bonsai add --verify-key, minisign -V). minisign itself signs with the secret key too. Existing ' +
          'files are never overwritten.',
      )
      .option('--key <file>', 'Where to write the secret key.', 'bonsai.key')
      .option('--pub <file>', 'Where to write the public key.', 'bonsai.pub')
      .option('--json', 'Print one JSON object: {ok, keyId, publicKey, key, pub}.'),
    io,
    {
      examples: ['bonsai keygen', 'bonsai keygen --key ~/.bonsai/release.key --pub release.pub'],
      exitCodes: [
        [0, 'Both files were written.'],
        [1, 'A file exists already (nothing was written).'],
        [2, 'Usage error, such as a folder that cannot be written.'],
      ],
    },
  ).action(run(async (options: KeygenOptions) => (await import('./run.js')).runKeygen(io, options)));
}
