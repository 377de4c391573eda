import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { pickConfigFile, type Diagnostic } from '../../bonsai-schema/index.js';
import { UsageError } from '../../cli/usage-error.js';
import { displayPath } from './display-path.js';

export interface ConfigFile {
  /** As the user should see it: relative to cwd when inside it. */
  displayPath: string;
  absolutePath: string;
  text: string;
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
  const text = await readFile(absolutePath, 'utf8');
  return { file: { displayPath: displayPath(cwd, absolutePath), absolutePath, text }, diagnostics: [] };
}
