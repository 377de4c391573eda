import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  decodeConfigFile,
  MAX_CONFIG_FILE_BYTES,
  parseBonsaiConfig,
  pickConfigFile,
  type ConfigResult,
  type Diagnostic,
} from '../../bonsai-schema/index.js';
import { UsageError } from '../../common/usage-error.js';
import { displayPath } from './display-path.js';

export interface ConfigFile {
  /** As the user should see it: relative to cwd when inside it. */
  displayPath: string;
  absolutePath: string;
  /** Undefined when the file is too large or not text (`problems` says which). */
  text: string | undefined;
  problems: Diagnostic[];
}

/** The file's bonsai.yml checks: its bounds first (as ingest applies them), then its content. */
export function parseConfigFile(file: ConfigFile): ConfigResult {
  return file.text === undefined
    ? { config: undefined, diagnostics: file.problems }
    : parseBonsaiConfig(file.text);
}

/** At most MAX_CONFIG_FILE_BYTES + 1 bytes: enough to tell a file is too large (`/dev/zero` never ends). */
async function readCapped(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/**
 * The bonsai.yml to read: `target` when it names a file, else the one Bonsai would pick in the `target`
 * folder (default: cwd). A path that does not exist is a usage error; a folder without a configuration is
 * reported as Bonsai reports it (CONFIG_NOT_FOUND / CONFIG_AMBIGUOUS).
 */
export async function findConfigFile(
  cwd: string,
  target: string | undefined,
): Promise<
  { file: ConfigFile; diagnostics: [] } | { file: undefined; folder: string; diagnostics: Diagnostic[] }
> {
  const resolved = path.resolve(cwd, target ?? '.');
  const info = await stat(resolved).catch(() => undefined);
  if (!info) throw new UsageError(`${target ?? resolved}: no such file or folder`);
  let absolutePath = resolved;
  if (info.isDirectory()) {
    const picked = pickConfigFile(await readdir(resolved));
    if (!picked.name)
      return { file: undefined, folder: displayPath(cwd, resolved), diagnostics: picked.diagnostics };
    absolutePath = path.join(resolved, picked.name);
  }
  const decoded = decodeConfigFile(await readCapped(absolutePath));
  return {
    file: {
      displayPath: displayPath(cwd, absolutePath),
      absolutePath,
      text: decoded.text,
      problems: decoded.diagnostics,
    },
    diagnostics: [],
  };
}
