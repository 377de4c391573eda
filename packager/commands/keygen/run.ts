import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatPublicKey, formatSecretKey, generateKeyPair, keyIdHex } from '../../../bonsai-schema/index.js';
import { EXIT, type ExitCode } from '../../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../../common/io.js';
import { PackagerError, usageFailure } from '../../errors.js';
import { reportingFailures } from '../report.js';

export interface KeygenOptions {
  key: string;
  pub: string;
  json?: boolean;
}

/** `bonsai keygen`: loaded when the verb runs (cli/ registers it from ./index.ts). */
export function runKeygen(io: Io, options: KeygenOptions): Promise<ExitCode> {
  return reportingFailures(io, options.json, () => keygen(io, options));
}

async function keygen(io: Io, options: KeygenOptions): Promise<ExitCode> {
  const key = generateKeyPair();
  const publicText = formatPublicKey(key);
  await create(io.cwd, options.key, formatSecretKey(key), 0o600);
  try {
    await create(io.cwd, options.pub, publicText, 0o644);
  } catch (err) {
    // Never leave a secret key without its public half (nor beside an older, unrelated .pub).
    await rm(path.resolve(io.cwd, options.key), { force: true });
    throw err;
  }
  const keyId = keyIdHex(key.keyId);
  const publicLine = publicText.split('\n')[1]!;
  if (options.json) {
    writeJson(io.stdout, { ok: true, keyId, publicKey: publicLine, key: options.key, pub: options.pub });
  } else {
    writeLine(io.stdout, `key id ${keyId}`);
    writeLine(io.stdout, `public key: ${publicLine}`);
  }
  writeLine(
    io.stderr,
    `wrote ${options.pub} (public: register it with bonsai registry key add) and ${options.key} (secret: ` +
      'keep it out of the repository; in CI put its text in BONSAI_SIGNING_KEY)',
  );
  return EXIT.OK;
}

async function create(cwd: string, file: string, text: string, mode: number): Promise<void> {
  try {
    await writeFile(path.resolve(cwd, file), text, { flag: 'wx', mode });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EEXIST') {
      throw new PackagerError('KEYGEN_EXISTS', `${file} exists already; keygen never overwrites a key`, {
        hint: 'choose other names with --key and --pub, or move the old key away first',
      });
    }
    throw usageFailure('OUTPUT_WRITE_FAILED', `cannot write ${file}: ${e.code ?? e.message}`);
  }
}
