import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { packProject, type PackOptions } from '../../packager/pack/pack.js';
import { bonsai, type CapturedRun } from '../cli/run-cli.js';

const made: string[] = [];

/** A fresh temporary folder, removed after the test. */
export async function tempDir(prefix = 'bonsai-packager-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** `bonsai init` in a new temporary folder: the project is at `dir`, named `name`. */
export async function initProject(name = 'hello-world'): Promise<{ root: string; dir: string }> {
  const root = await tempDir();
  const dir = path.join(root, name);
  const run = await bonsai(['init', dir]);
  if (run.code !== 0) throw new Error(`bonsai init failed: ${run.stderr}`);
  return { root, dir };
}

/** Runs a real program (tar, sha512sum, git...) and returns what it printed. */
export function sh(command: string, args: readonly string[], cwd?: string, env?: Record<string, string>) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Files in a folder, sorted; [] when it does not exist. */
export async function listing(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/** The codes a failed run printed (`error [CODE]` and `error CODE` lines). */
export function codesOf(run: CapturedRun): string[] {
  return [...run.stderr.matchAll(/error \[?([A-Z][A-Z0-9_]+)\]?/g)].map((m) => m[1]!);
}

/** An output folder that already holds `name` (what a failed pack must leave as it was). */
export async function outputFolderHolding(out: string, name: string): Promise<void> {
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, name), 'x');
}

/** packProject of `builds` ([platform, arch, asset file name]) into `out`: mtime 0, one checksum file. */
export function packBuilds(
  dir: string,
  out: string,
  builds: readonly (readonly [string, string, string])[],
  options: Pick<PackOptions, 'concurrency' | 'onProgress'>,
) {
  return packProject({
    dir,
    out,
    builds: builds.map(([platform, arch, assetFilename], i) => ({
      number: i + 1,
      platform,
      arch,
      filters: [],
      assetFilename,
      shaFilename: 'sums.txt',
    })),
    mtime: new Date(0),
    show: (p) => path.relative(dir, p),
    ...options,
  });
}

export { bonsai };
