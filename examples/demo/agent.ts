import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import vm from 'node:vm';

const run = promisify(execFile);

/** What the Sensu agent on this host reports in `entity.system` (Go's GOOS/GOARCH names). */
export function thisEntity(): { system: Record<string, string | number> } {
  const arch = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' } as Record<string, string>)[
    process.arch
  ];
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return { system: { os, arch: arch ?? process.arch, platform: os, arm_version: 0 } };
}

export interface DefinitionBuild {
  url: string;
  sha512: string;
  filters?: string[] | null;
}

/**
 * The build the agent would install: every filter must be true (evaluated as JavaScript against the
 * entity, as the agent does); sensu-go 7 prefers the matching build with the most filters.
 */
export function pickBuild(builds: readonly DefinitionBuild[]): DefinitionBuild | undefined {
  const entity = thisEntity();
  const matches = builds.filter((b) =>
    (b.filters ?? []).every((expression) => vm.runInNewContext(expression, { entity }) === true),
  );
  return matches.sort((a, b) => (b.filters?.length ?? 0) - (a.filters?.length ?? 0))[0];
}

/**
 * Downloads a build as the agent does (the URL must answer 200, the sha512 of the exact bytes must match),
 * extracts it into `<cache>/<sha512>/` and returns that folder.
 */
export async function installBuild(build: DefinitionBuild, cache: string): Promise<string> {
  const response = await fetch(build.url, { redirect: 'follow' });
  if (response.status !== 200) throw new Error(`GET ${build.url} answered ${response.status}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  const sha512 = createHash('sha512').update(bytes).digest('hex');
  if (sha512 !== build.sha512.toLowerCase()) {
    throw new Error(
      `sha512 mismatch for ${build.url}: the definition says ${build.sha512.slice(0, 16)}…, got ${sha512.slice(0, 16)}…`,
    );
  }
  const folder = path.join(cache, sha512);
  await mkdir(folder, { recursive: true });
  const archive = path.join(cache, `${sha512}.tar.gz`);
  await writeFile(archive, bytes);
  await run('tar', ['-xzf', archive, '-C', folder]);
  return folder;
}

/** Runs a command found on the asset's bin/, as a check would. */
export async function runFromAsset(folder: string, command: string): Promise<string> {
  const { stdout } = await run(path.join(folder, 'bin', command), [], {
    env: { ...process.env, PATH: `${path.join(folder, 'bin')}:${process.env.PATH ?? ''}` },
  });
  return stdout.trim();
}
