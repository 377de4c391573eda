import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bonsai } from '../cli/run-cli.js';
import { makeTempDir } from '../registry/support/databases.js';
import { publish, type BuildSpec, type Published } from '../registry/support/fixtures.js';
import { startHarness, type Harness } from '../registry/support/harness.js';
import { freePort } from '../registry/support/ports.js';
import { serveStatic, type StaticServer } from './static-server.js';

/**
 * `bonsai mirror`: a registry filled from the GitHub emulator is copied into a folder, the folder is
 * served by a plain static server, and `bonsai add` fetches from it as from the registry.
 */

const LINUX: BuildSpec = { platform: 'linux', arch: 'amd64', filters: ["entity.system.os == 'linux'"] };
const WINDOWS: BuildSpec = {
  platform: 'Windows',
  arch: 'amd64',
  filters: ["entity.system.os == 'windows'"],
};

let h: Harness;
let work: string;
let out: string;
let served: StaticServer;
const releases: Record<string, Published> = {};

const sha512 = (bytes: Buffer) => createHash('sha512').update(bytes).digest('hex');

beforeAll(async () => {
  h = await startHarness();
  work = await makeTempDir('bonsai-mirror-');
  out = path.join(work, 'mirror');
  await mkdir(out);
  served = await serveStatic(out);
  h.gh.state.createRepo('acme/check-disk', { description: 'Checks disks' });
  for (const tag of ['1.0.0', '1.1.0', '2.0.0']) {
    releases[tag] = await publish(h.gh, 'acme/check-disk', tag, { builds: [LINUX, WINDOWS] });
  }
  await h.addRepo('acme/check-disk');
  h.gh.state.createRepo('acme/check-bad');
  releases.bad = await publish(h.gh, 'acme/check-bad', '1.0.0', { builds: [LINUX] });
  await h.addRepo('acme/check-bad');
}, 60_000);
afterAll(async () => {
  await served?.close();
  await h?.close();
  await rm(work, { recursive: true, force: true });
});

const mirror = (args: string[]) => bonsai(['mirror', '--from', h.url, ...args], { cwd: work });

/** Every file under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('bonsai mirror, served by a static server', () => {
  it('writes a registry that bonsai add reads, with every URL on the base URL', async () => {
    const run = await mirror(['acme/check-disk', '--out', 'mirror', '--base-url', served.url]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('mirrored acme/check-disk: 1.0.0, 1.1.0, 2.0.0\n');
    expect(run.stdout).toContain('downloaded 6 artifacts');

    const added = await bonsai([
      'add',
      'acme/check-disk:1.1.0',
      '--registry',
      served.url,
      '--format',
      'json',
    ]);
    expect(added.stderr).toContain('fetching bonsai asset: acme/check-disk:1.1.0');
    expect(added.code).toBe(0);
    const resource = JSON.parse(added.stdout);
    expect(resource.metadata.name).toBe('acme/check-disk');
    expect(resource.metadata.annotations['io.sensu.bonsai.api_url']).toBe(
      `${served.url}/api/v1/assets/acme/check-disk`,
    );
    expect(resource.spec.builds).toHaveLength(2);
    for (const build of resource.spec.builds) {
      expect(build.url.startsWith(`${served.url}/artifacts/`)).toBe(true);
      const bytes = Buffer.from(await (await fetch(build.url)).arrayBuffer());
      expect(sha512(bytes)).toBe(build.sha512);
    }
    // The same sha512s as the source registry serves.
    const source = JSON.parse(
      (await h.get('/api/v1/assets/acme/check-disk/1.1.0/release_asset_builds')).text,
    );
    expect(resource.spec.builds.map((b: { sha512: string }) => b.sha512)).toEqual(
      source.spec.builds.map((b: { sha512: string }) => b.sha512),
    );

    const latest = await bonsai(['add', 'acme/check-disk', '--registry', served.url]);
    expect(latest.stderr).toContain('no version specified, using latest: 2.0.0');

    // Nothing the mirror serves still points at the source registry.
    for (const file of await tree(out)) {
      // The index keeps the source's own answers (what was mirrored from where); everything served is moved.
      if (file.startsWith('artifacts/') || file === 'bonsai-mirror.json') continue;
      expect(await readFile(path.join(out, file), 'utf8'), file).not.toContain(h.url);
    }
  });

  it('answers the single-build, other-spelling and latest paths, and the list', async () => {
    const single = await fetch(
      `${served.url}/api/v1/assets/acme/check-disk/v1.0.0/Windows/amd64/release_asset`,
    );
    expect(single.status).toBe(200);
    const body = (await single.json()) as {
      metadata: { name: string };
      spec: { url: string; sha512: string };
    };
    expect(body.metadata.name).toBe('check-disk_Windows_amd64');
    expect(body.spec.sha512).toBe(releases['1.0.0']!.files['check-disk_1.0.0_windows_amd64.tar.gz']!.sha512);
    const latest = await fetch(`${served.url}/api/v1/assets/acme/check-disk/latest/release_asset_builds`);
    expect(
      ((await latest.json()) as { metadata: { annotations: Record<string, string> } }).metadata.annotations[
        'io.sensu.bonsai.version'
      ],
    ).toBe('2.0.0');
    const list = (await (await fetch(`${served.url}/api/v1/assets`)).json()) as { total: number };
    expect(list.total).toBe(1);
  });

  it('downloads nothing on a second run', async () => {
    const artifacts = (await tree(out)).filter((f) => f.startsWith('artifacts/'));
    const before = await Promise.all(artifacts.map(async (f) => (await stat(path.join(out, f))).mtimeMs));
    const run = await mirror(['acme/check-disk', '--out', 'mirror', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      downloaded: [],
      present: 6,
      base_url: served.url,
    });
    const after = await Promise.all(artifacts.map(async (f) => (await stat(path.join(out, f))).mtimeMs));
    expect(after).toEqual(before);
  });

  it('takes assets from --from-file and only the --platform builds', async () => {
    await writeFile(path.join(work, 'list.txt'), '# what the site runs\nacme/check-disk:1.0.0\n\n');
    const run = await mirror([
      '--from-file',
      'list.txt',
      '--platform',
      'linux/AMD64',
      '--out',
      'linux-only',
      '--base-url',
      'https://assets.example.internal/',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.assets).toEqual([{ name: 'acme/check-disk', versions: ['1.0.0'] }]);
    expect(result.downloaded).toHaveLength(1);
    const files = await tree(path.join(work, 'linux-only'));
    expect(files.filter((f) => f.startsWith('artifacts/'))).toEqual([
      expect.stringMatching(/^artifacts\/sha512\/[0-9a-f]{128}\/check-disk_1\.0\.0_linux_amd64\.tar\.gz$/),
    ]);
    const definition = JSON.parse(
      await readFile(
        path.join(work, 'linux-only/api/v1/assets/acme/check-disk/1.0.0/release_asset_builds'),
        'utf8',
      ),
    );
    expect(definition.spec.builds).toHaveLength(1);
    expect(definition.spec.builds[0].url).toMatch(/^https:\/\/assets\.example\.internal\/artifacts\//);
  });
});

describe('bonsai mirror: progress', () => {
  it('is drawn on a terminal and cleared before the summary', async () => {
    const run = await bonsai(
      ['mirror', 'acme/check-disk:2.0.0', '--from', h.url, '--out', 'tty', '--base-url', served.url],
      { cwd: work, tty: true, columns: 100 },
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('\r\x1b[Kreading acme/check-disk');
    expect(run.stderr.endsWith('\r\x1b[K')).toBe(true);
    expect(run.stdout).toContain('downloaded 2 artifacts');
  });
});

describe('bonsai mirror: a corrupted source artifact', () => {
  it('fails with a coded error and writes nothing, in a new folder or an existing mirror', async () => {
    const file = releases.bad!.files['check-bad_1.0.0_linux_amd64.tar.gz']!;
    // The stored bytes themselves: what GitHub's CDN then serves no longer matches the checksum file.
    const bytes = h.gh.state.assetBytes(file.id);
    const good = Buffer.from(bytes);
    bytes.fill(0, 0, 64);
    try {
      const fresh = await mirror(['acme/check-bad', '--out', 'fresh', '--base-url', served.url]);
      expect(fresh.code).toBe(1);
      expect(fresh.stderr).toContain('error [MIRROR_CHECKSUM_MISMATCH]: the artifact at ');
      expect(fresh.stderr).toContain('hint: ');
      expect(await tree(path.join(work, 'fresh'))).toEqual([]);

      const before = await tree(out);
      const index = await readFile(path.join(out, 'bonsai-mirror.json'), 'utf8');
      const existing = await mirror(['acme/check-disk', 'acme/check-bad', '--out', 'mirror']);
      expect(existing.code).toBe(1);
      expect(existing.stderr).toContain('MIRROR_CHECKSUM_MISMATCH');
      expect(await tree(out)).toEqual(before);
      expect(await readFile(path.join(out, 'bonsai-mirror.json'), 'utf8')).toBe(index);
    } finally {
      good.copy(bytes);
    }
  });
});

describe('bonsai mirror: bad input', () => {
  it('needs --base-url on a first run (exit 2)', async () => {
    const run = await mirror(['acme/check-disk', '--out', 'no-base']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error [MIRROR_BASE_URL_MISSING]');
  });

  it.each([
    [['--out', 'x', '--base-url', 'ftp://x'], '--base-url must be an http(s) URL'],
    [
      ['acme/check-disk', '--out', 'x', '--base-url', 'http://x', '--platform', 'linux'],
      '--platform takes OS/ARCH',
    ],
    [['--out', 'x', '--base-url', 'http://x'], 'name at least one asset'],
    [['acme/check-disk:one', '--out', 'x', '--base-url', 'http://x'], 'Malformed version: one'],
  ])('refuses %j (exit 2)', async (args, message) => {
    const run = await mirror(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('reports an unreadable --from-file (exit 2)', async () => {
    const run = await mirror(['--from-file', 'missing.txt', '--out', 'x', '--base-url', 'http://x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error [MIRROR_LIST_UNREADABLE]: cannot read missing.txt');
  });

  it('reports an unknown asset or version (exit 1)', async () => {
    const unknown = await mirror(['acme/nope', '--out', 'x', '--base-url', 'http://x']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error [ASSET_NOT_FOUND]');
    const version = await mirror(['acme/check-disk:9.9.9', '--out', 'x', '--base-url', 'http://x']);
    expect(version.code).toBe(1);
    expect(version.stderr).toContain('error [ASSET_VERSION_NOT_FOUND]');
  });

  it('reports a platform no build has (exit 1)', async () => {
    const run = await mirror([
      'acme/check-disk',
      '--platform',
      'aix/ppc64',
      '--out',
      'x',
      '--base-url',
      'http://x',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error [MIRROR_NO_BUILDS]: no build of acme/check-disk matches --platform aix/ppc64',
    );
  });

  it('reports an index it cannot read (exit 1)', async () => {
    await mkdir(path.join(work, 'garbled'));
    await writeFile(path.join(work, 'garbled/bonsai-mirror.json'), '{"format": 9}');
    const run = await mirror(['acme/check-disk', '--out', 'garbled', '--base-url', 'http://x']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error [MIRROR_INDEX_INVALID]');
  });

  it('reports an artifact that cannot be downloaded (exit 3), writing nothing', async () => {
    h.gh.faults.inject({
      origin: 'web',
      path: /check-bad_1\.0\.0_linux_amd64/,
      times: 'forever',
      action: { kind: 'status', status: 404 },
    });
    try {
      const run = await mirror(['acme/check-bad', '--out', 'gone', '--base-url', 'http://x']);
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('error [MIRROR_DOWNLOAD_FAILED]: cannot download ');
      expect(run.stderr).toContain('(HTTP 404)');
      expect(await tree(path.join(work, 'gone'))).toEqual([]);
    } finally {
      h.gh.faults.clear();
    }
  });

  it('reports a source registry that cannot be reached (exit 3)', async () => {
    const port = await freePort();
    const run = await bonsai(
      [
        'mirror',
        'acme/check-disk',
        '--from',
        `http://127.0.0.1:${port}`,
        '--out',
        'x',
        '--base-url',
        'http://x',
      ],
      { cwd: work },
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('error [REGISTRY_UNREACHABLE]');
  });
});
