import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../registry/config.js';
import { createLogger } from '../../registry/logger.js';
import { startRegistry } from '../../registry/server.js';
import { bonsai } from '../cli/run-cli.js';
import { makeTempDir } from './support/databases.js';
import { publish, type BuildSpec } from './support/fixtures.js';
import { registryEnv, startHarness, type Harness } from './support/harness.js';

/**
 * `bonsai registry import`: a registry filled from the GitHub emulator is mirrored (`bonsai mirror`), and
 * the mirror is loaded into a fresh embedded registry, which then serves the same definitions.
 */

const LINUX: BuildSpec = { platform: 'linux', arch: 'amd64', filters: ["entity.system.os == 'linux'"] };
const WINDOWS: BuildSpec = { platform: 'Windows', arch: 'amd64', filters: ["entity.system.os == 'windows'"] };
const MIRROR_URL = 'http://assets.example.internal/bonsai';
const VERSIONS = ['1.0.0', '1.1.0', '2.0.0'];

let h: Harness;
let work: string;
let mirrorDir: string;

beforeAll(async () => {
  h = await startHarness();
  work = await makeTempDir('bonsai-import-');
  mirrorDir = path.join(work, 'mirror');
  await mkdir(mirrorDir);
  h.gh.state.createRepo('acme/check-disk', { description: 'Checks disks' });
  for (const tag of VERSIONS) await publish(h.gh, 'acme/check-disk', tag, { builds: [LINUX, WINDOWS] });
  await h.addRepo('acme/check-disk', { tier: 'Supported', tags: ['disk', 'check'] });
  const run = await bonsai(
    ['mirror', 'acme/check-disk', '--from', h.url, '--out', mirrorDir, '--base-url', MIRROR_URL],
    { cwd: work },
  );
  if (run.code !== 0) throw new Error(`mirror failed: ${run.stderr}`);
}, 60_000);
afterAll(async () => {
  await h?.close();
  await rm(work, { recursive: true, force: true });
});

/** A fresh embedded registry's settings (its own data folder), as the CLI verbs read them. */
async function freshRegistry(name: string): Promise<Record<string, string>> {
  const dir = path.join(work, name);
  await mkdir(dir);
  return registryEnv(h.gh, dir);
}

const registry = (env: Record<string, string>, args: string[]) =>
  bonsai(['registry', ...args], { cwd: work, env });

/** A definition with every URL replaced by a marker: what must match between source and import. */
function normalised(text: string): unknown {
  const def = JSON.parse(text.replace(/http:\/\/(localhost|127\.0\.0\.1):\d+/g, 'BASE')) as {
    spec: { builds: { url: string }[] };
  };
  for (const b of def.spec.builds) b.url = 'URL';
  return def;
}

describe('bonsai registry import', () => {
  let env: Record<string, string>;

  it('imports the mirror into a fresh embedded registry, with its source in status', async () => {
    env = await freshRegistry('imported');
    const run = await registry(env, ['import', mirrorDir]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`acme/check-disk: imported 1.0.0, 1.1.0, 2.0.0\nsource: mirror ${MIRROR_URL}\n`);

    const status = await registry(env, ['status', 'acme/check-disk', '--json']);
    expect(status.code).toBe(0);
    const json = JSON.parse(status.stdout);
    expect(json.source).toBe(`mirror ${MIRROR_URL}`);
    expect(
      json.versions.map((v: { version: string; state: string; source: string }) => [
        v.version,
        v.state,
        v.source,
      ]),
    ).toEqual(VERSIONS.map((v) => [v, 'served', `mirror ${MIRROR_URL}`]));
    const text = await registry(env, ['status', 'acme/check-disk']);
    expect(text.stdout.split('\n')[0]).toContain(`(mirror ${MIRROR_URL}; last sync `);
  });

  it('changes nothing on a second import', async () => {
    const before = JSON.parse((await registry(env, ['status', 'acme/check-disk', '--json'])).stdout);
    const run = await registry(env, ['import', mirrorDir, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      base_url: MIRROR_URL,
      assets: [{ name: 'acme/check-disk', imported: [], unchanged: VERSIONS }],
    });
    const after = JSON.parse((await registry(env, ['status', 'acme/check-disk', '--json'])).stdout);
    expect(after.versions).toEqual(before.versions);
    expect(after.log).toHaveLength(before.log.length);
  });

  it('refuses to sync an imported asset from GitHub', async () => {
    const run = await registry(env, ['sync', 'acme/check-disk']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `error [ASSET_IMPORTED]: acme/check-disk was imported from the mirror ${MIRROR_URL}`,
    );
  });

  it('serves the same definitions as the source, on the mirror URLs, and the poller leaves it alone', async () => {
    // A poll every second: an imported asset must never get a sync job (it would fail, or mark it removed).
    const config = loadConfig({ env: { ...env, POLL_INTERVAL: '1' }, cwd: env.DATA_DIR! });
    const served = await startRegistry(config, createLogger('warn', { write: () => true }));
    try {
      for (const version of VERSIONS) {
        const path_ = `/api/v1/assets/acme/check-disk/${version}/release_asset_builds`;
        const source = await (await fetch(h.url + path_)).text();
        const imported = await fetch(served.url + path_);
        expect(imported.status).toBe(200);
        const text = await imported.text();
        expect(normalised(text)).toEqual(normalised(source));
        const builds = (JSON.parse(text) as { spec: { builds: { url: string }[] } }).spec.builds;
        for (const b of builds) expect(b.url.startsWith(`${MIRROR_URL}/artifacts/`)).toBe(true);
      }
      const asset = (await (await fetch(`${served.url}/api/v1/assets/acme/check-disk`)).json()) as {
        description: string;
        versions: { version: string }[];
      };
      expect(asset.description).toBe('Checks disks');
      expect(asset.versions.map((v) => v.version).sort()).toEqual(VERSIONS);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
    } finally {
      await served.close();
    }
    const status = JSON.parse((await registry(env, ['status', 'acme/check-disk', '--json'])).stdout);
    expect(status.jobs).toEqual([]);
    expect(status.versions.every((v: { state: string }) => v.state === 'served')).toBe(true);
  });

  it('refuses a corrupted mirror and imports nothing', async () => {
    const damaged = path.join(work, 'damaged');
    await cp(mirrorDir, damaged, { recursive: true });
    const index = JSON.parse(await readFile(path.join(damaged, 'bonsai-mirror.json'), 'utf8')) as {
      artifacts: Record<string, string>;
    };
    // The last artifact: every other one is fine, and still none may be imported.
    const victim = Object.values(index.artifacts).sort().at(-1)!;
    await writeFile(path.join(damaged, victim), 'not the artifact');
    const fresh = await freshRegistry('damaged-target');
    const run = await registry(fresh, ['import', damaged]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error [IMPORT_CHECKSUM_MISMATCH]: ${victim} (of acme/check-disk:`);
    expect(run.stderr).toContain('does not match its sha512');
    const overview = JSON.parse((await registry(fresh, ['status', '--json'])).stdout);
    expect(overview.assets).toEqual([]);

    await rm(path.join(damaged, victim));
    const missing = await registry(fresh, ['import', damaged]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`error [IMPORT_CHECKSUM_MISMATCH]: ${victim} (of acme/check-disk:`);
    expect(missing.stderr).toContain('is missing from the mirror');
  });

  it('refuses a folder that is not a mirror, and an asset this registry syncs from GitHub', async () => {
    const fresh = await freshRegistry('conflict');
    const notMirror = await registry(fresh, ['import', work]);
    expect(notMirror.code).toBe(1);
    expect(notMirror.stderr).toContain(
      `error [IMPORT_INVALID]: ${work} is not a mirror: cannot read bonsai-mirror.json`,
    );

    const broken = path.join(work, 'broken');
    await mkdir(broken);
    await writeFile(
      path.join(broken, 'bonsai-mirror.json'),
      JSON.stringify({ format: 1, base_url: 'ftp://x' }),
    );
    const bad = await registry(fresh, ['import', broken]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error [IMPORT_INVALID]');

    expect((await registry(fresh, ['add-repo', 'acme/check-disk'])).code).toBe(0);
    const conflict = await registry(fresh, ['import', mirrorDir]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('error [IMPORT_CONFLICT]: acme/check-disk is synced from GitHub here');
    const status = JSON.parse((await registry(fresh, ['status', 'acme/check-disk', '--json'])).stdout);
    expect(status.source).toBe('github');
    expect(status.versions).toEqual([]);
  });
});
