import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  MinisignFormatError,
  parsePublicKey,
  parseSecretKey,
  type PublicKey,
  type SecretKey,
} from '../../bonsai-schema/index.js';
import { PackagerError, usageFailure } from '../errors.js';
import { SIGNING_KEY_ENV } from './key-env.js';

/**
 * The secret key pack signs with: the file `--sign` names, else the text of BONSAI_SIGNING_KEY (CI
 * secrets hold text, not files); undefined when neither is set (nothing is signed).
 */
export async function loadSigningKey(
  cwd: string,
  env: Record<string, string | undefined>,
  file: string | undefined,
): Promise<SecretKey | undefined> {
  if (file === undefined) {
    const text = env[SIGNING_KEY_ENV];
    if (text === undefined || text.trim() === '') return undefined;
    return secretKeyFrom(text, SIGNING_KEY_ENV);
  }
  return secretKeyFrom(await readKeyFile(cwd, file, 'SIGNING_KEY_UNREADABLE'), file);
}

function secretKeyFrom(text: string, where: string): SecretKey {
  try {
    return parseSecretKey(text);
  } catch (err) {
    if (!(err instanceof MinisignFormatError)) throw err;
    throw new PackagerError(
      'SIGNING_KEY_INVALID',
      `${where}: not a usable minisign secret key: ${err.message}`,
      {
        hint: 'make a key pair with bonsai keygen (or minisign -G -W) and pass the .key file, or its text in BONSAI_SIGNING_KEY',
      },
    );
  }
}

/** Public keys from files (`--verify-key`, `--key`), each a minisign public key or a bare key line. */
export async function loadPublicKeys(cwd: string, files: readonly string[]): Promise<PublicKey[]> {
  const keys: PublicKey[] = [];
  for (const file of files) {
    const text = await readKeyFile(cwd, file, 'PUBLIC_KEY_INVALID');
    try {
      keys.push(parsePublicKey(text));
    } catch (err) {
      if (!(err instanceof MinisignFormatError)) throw err;
      throw new PackagerError('PUBLIC_KEY_INVALID', `${file}: not a minisign public key: ${err.message}`, {
        hint: 'pass the .pub file bonsai keygen or minisign -G wrote (two lines, the second starting RW)',
      });
    }
  }
  return keys;
}

async function readKeyFile(
  cwd: string,
  file: string,
  code: 'SIGNING_KEY_UNREADABLE' | 'PUBLIC_KEY_INVALID',
): Promise<string> {
  try {
    const text = await readFile(path.resolve(cwd, file), 'utf8');
    // A key file is two short lines: refuse to read a large file whole as one.
    if (text.length > 4096) throw new Error('too large to be a key file');
    return text;
  } catch (err) {
    throw usageFailure(
      code,
      `cannot read the key file ${file}: ${(err as Error).message}`,
      'give the path of a key file bonsai keygen (or minisign -G) wrote',
    );
  }
}
