import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bonsai, initProject, listing, sh, tempDir } from './fixture.js';

const ONE_BUILD = `---
description: "#{repo}"
builds:
  - platform: linux
    arch: amd64
    asset_filename: "#{repo}_#{version}_linux_amd64.tar.gz"
    sha_filename: "#{repo}_#{version}_sha512-checksums.txt"
    filter:
      - "entity.system.os == 'linux'"
      - "entity.system.arch == 'amd64'"
  - platform: linux
    arch: arm64
    asset_filename: "#{repo}_#{version}_linux_arm64.tar.gz"
    sha_filename: "#{repo}_#{version}_sha512-checksums.txt"
    filter:
      - "entity.system.os == 'linux'"
      - "entity.system.arch == 'arm64'"
`;

interface TreeVariant {
  /** Creation order of the files (directory order on disk follows it on most file systems). */
  reverse: boolean;
  /** Modes on disk for executables and other files (what a umask of 077 or 022 gives). */
  executableMode: number;
  fileMode: number;
  /** mtime of every file, seconds. */
  mtime: number;
  /** Owner on disk (only changed when the tests run as root). */
  uid: number;
}

const FILES: readonly [string, string, boolean][] = [
  ['bin/tool', '#!/bin/sh\necho tool\n', true],
  ['bin/helper', '#!/bin/sh\necho helper\n', true],
  ['lib/libx.so.1', 'not really a library\n', false],
  ['lib/ruby/a.rb', 'puts 1\n', false],
  ['lib/ruby/b.rb', 'puts 2\n', false],
  ['include/x.h', '#define X 1\n', false],
  ['README.md', '# x\n', false],
  ['LICENSE', 'MIT\n', false],
  ['CHANGELOG.md', '## 1.0.0\n', false],
  ['notes.txt', 'not packed: not bin/lib/include nor a document\n', false],
];

async function writeVariant(dir: string, v: TreeVariant): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'bonsai.yml'), ONE_BUILD);
  const files = v.reverse ? [...FILES].reverse() : FILES;
  for (const [name, content, executable] of files) {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    await chmod(file, executable ? v.executableMode : v.fileMode);
    await utimes(file, v.mtime, v.mtime);
    if (process.getuid?.() === 0) await chown(file, v.uid, v.uid);
  }
  await symlink('libx.so.1', path.join(dir, 'lib/libx.so'));
  for (const sub of ['bin', 'lib', 'lib/ruby', 'include'])
    await utimes(path.join(dir, sub), v.mtime, v.mtime);
}

/** Written in creation order, umask 022, by root, in 2001. */
const UMASK_022: TreeVariant = {
  reverse: false,
  executableMode: 0o755,
  fileMode: 0o644,
  mtime: 1_000_000_000,
  uid: 0,
};
/** Written in reverse order, umask 077, by nobody, in 2023. */
const UMASK_077: TreeVariant = {
  reverse: true,
  executableMode: 0o700,
  fileMode: 0o600,
  mtime: 1_700_000_000,
  uid: 65534,
};

async function packDigests(dir: string, env: Record<string, string>): Promise<Record<string, string>> {
  const run = await bonsai(['pack', dir, '--version', '1.0.0', '--repo', 'x', '--json'], { env });
  expect(run.code, run.stderr).toBe(0);
  const result = JSON.parse(run.stdout) as { archives: { fileName: string; sha512: string }[] };
  return Object.fromEntries(result.archives.map((a) => [a.fileName, a.sha512]));
}

describe('bonsai pack', () => {
  it('gives byte-identical archives whatever the mtimes, modes (umask), owner and directory order', async () => {
    const root = await tempDir();
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    await writeVariant(a, UMASK_022);
    await writeVariant(b, UMASK_077);
    const env = { SOURCE_DATE_EPOCH: '1600000000' };

    const first = await packDigests(a, env);
    // The second pack also runs under another umask (it may only change the modes of the files in dist).
    const umask = process.umask(0o077);
    let second: Record<string, string>;
    try {
      second = await packDigests(b, env);
    } finally {
      process.umask(umask);
    }
    expect(Object.keys(first)).toEqual(['x_1.0.0_linux_amd64.tar.gz', 'x_1.0.0_linux_arm64.tar.gz']);
    expect(second).toEqual(first);
    // The same tree twice gives the same bytes, and the epoch does reach the archive.
    expect(await packDigests(a, env)).toEqual(first);
    const otherEpoch = await packDigests(a, { SOURCE_DATE_EPOCH: '1600000001' });
    expect(otherEpoch['x_1.0.0_linux_amd64.tar.gz']).not.toBe(first['x_1.0.0_linux_amd64.tar.gz']);
  });

  it('writes what GNU tar lists: bin/ at the root 0755, sorted entries, 0/0, the fixed mtime, modes normalised', async () => {
    const root = await tempDir();
    const dir = path.join(root, 'x');
    await writeVariant(dir, UMASK_077);
    const run = await bonsai(['pack', dir, '--version', '1.0.0', '--repo', 'x'], {
      env: { SOURCE_DATE_EPOCH: '0' },
    });
    expect(run.code, run.stderr).toBe(0);

    const listed = sh(
      'tar',
      ['--numeric-owner', '-tvzf', path.join(dir, 'dist/x_1.0.0_linux_amd64.tar.gz')],
      root,
      { TZ: 'UTC' },
    );
    expect(listed.status).toBe(0);
    const rows = listed.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/));
    // mode, owner, size, date, time, name [-> target]
    expect(rows.map((r) => [r[0], r[1], r[3], r[4], r.slice(5).join(' ')])).toEqual([
      ['-rw-r--r--', '0/0', '1970-01-01', '00:00', 'CHANGELOG.md'],
      ['-rw-r--r--', '0/0', '1970-01-01', '00:00', 'LICENSE'],
      ['-rw-r--r--', '0/0', '1970-01-01', '00:00', 'README.md'],
      ['drwxr-xr-x', '0/0', '1970-01-01', '00:00', 'bin/'],
      ['-rwxr-xr-x', '0/0', '1970-01-01', '00:00', 'bin/helper'],
      ['-rwxr-xr-x', '0/0', '1970-01-01', '00:00', 'bin/tool'],
      ['drwxr-xr-x', '0/0', '1970-01-01', '00:00', 'include/'],
      ['-rw-r--r--', '0/0', '1970-01-01', '00:00', 'include/x.h'],
      ['drwxr-xr-x', '0/0', '1970-01-01', '00:00', 'lib/'],
      ['lrwxrwxrwx', '0/0', '1970-01-01', '00:00', 'lib/libx.so -> libx.so.1'],
      ['-rw-r--r--', '0/0', '1970-01-01', '00:00', 'lib/libx.so.1'],
      ['drwxr-xr-x', '0/0', '1970-01-01', '00:00', 'lib/ruby/'],
      ['-rw-r--r--', '0/0', '1970-01-01', '00:00', 'lib/ruby/a.rb'],
      ['-rw-r--r--', '0/0', '1970-01-01', '00:00', 'lib/ruby/b.rb'],
    ]);
    // No owner names in the headers.
    const named = sh('tar', ['-tvzf', path.join(dir, 'dist/x_1.0.0_linux_amd64.tar.gz')], root);
    expect(named.stdout).not.toMatch(/root|nobody/);
  });

  it('writes a deterministic gzip header: no mtime, no name, the Unix OS byte', async () => {
    const { dir } = await initProject();
    expect((await bonsai(['pack', dir, '--version', '0.0.1'])).code).toBe(0);
    const bytes = await readFile(path.join(dir, 'dist/hello-world_0.0.1_linux_amd64.tar.gz'));
    expect([...bytes.subarray(0, 10)]).toEqual([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]);
  });

  it('writes the goreleaser checksum file: sha512sum -c passes in dist', async () => {
    const { dir } = await initProject();
    const run = await bonsai(['pack', dir, '--version', '0.0.1']);
    expect(run.code, run.stderr).toBe(0);
    const dist = path.join(dir, 'dist');
    expect(await listing(dist)).toEqual([
      'hello-world_0.0.1_darwin_amd64.tar.gz',
      'hello-world_0.0.1_linux_amd64.tar.gz',
      'hello-world_0.0.1_linux_arm64.tar.gz',
      'hello-world_0.0.1_linux_armv7.tar.gz',
      'hello-world_0.0.1_sha512-checksums.txt',
      'hello-world_0.0.1_windows_amd64.tar.gz',
    ]);
    const checked = sh('sha512sum', ['-c', 'hello-world_0.0.1_sha512-checksums.txt'], dist);
    expect(checked.status, checked.stderr).toBe(0);
    expect(checked.stdout.trim().split('\n')).toHaveLength(5);
    expect(checked.stdout).not.toContain('FAILED');
    const text = await readFile(path.join(dist, 'hello-world_0.0.1_sha512-checksums.txt'), 'utf8');
    expect(text).toMatch(/^([0-9a-f]{128} {2}hello-world_0\.0\.1_\w+_\w+\.tar\.gz\n){5}$/);
    // Each archive is printed with its size and sha512 prefix.
    const amd64 = text.split('\n').find((l) => l.endsWith('linux_amd64.tar.gz'))!;
    expect(run.stdout).toMatch(
      new RegExp(
        `hello-world_0\\.0\\.1_linux_amd64\\.tar\\.gz +[\\d.]+ (B|KiB) +sha512:${amd64.slice(0, 16)}`,
      ),
    );
  });

  it('takes a build’s bin/ from build/<platform>_<arch>/ when that folder exists', async () => {
    const { dir } = await initProject();
    expect((await bonsai(['pack', dir, '--version', '0.0.1'])).code).toBe(0);
    const list = (file: string) =>
      sh('tar', ['-tzf', path.join(dir, 'dist', file)])
        .stdout.trim()
        .split('\n');
    expect(list('hello-world_0.0.1_windows_amd64.tar.gz')).toEqual([
      'README.md',
      'bin/',
      'bin/hello-world.cmd',
    ]);
    expect(list('hello-world_0.0.1_linux_armv7.tar.gz')).toEqual(['README.md', 'bin/', 'bin/hello-world']);
  });

  it('takes the version from the git tag at HEAD and the repository name from origin', async () => {
    const { dir } = await initProject();
    const git = (...args: string[]) =>
      sh('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], dir);
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'init');
    git('remote', 'add', 'origin', 'git@github.com:acme/sensu-hello.git');

    const untagged = await bonsai(['pack', dir]);
    expect(untagged.code).toBe(2);
    expect(untagged.stderr).toContain('error [VERSION_UNKNOWN]');
    expect(await listing(path.join(dir, 'dist'))).toEqual([]);

    git('tag', 'v1.2.3');
    const tagged = await bonsai(['pack', dir, '--json']);
    expect(tagged.code, tagged.stderr).toBe(0);
    const result = JSON.parse(tagged.stdout) as {
      repo: string;
      version: string;
      checksumFiles: { fileName: string }[];
    };
    expect(result).toMatchObject({ repo: 'sensu-hello', version: 'v1.2.3' });
    expect(result.checksumFiles.map((c) => c.fileName)).toEqual(['sensu-hello_v1.2.3_sha512-checksums.txt']);

    git('tag', '1.2.3');
    const ambiguous = await bonsai(['pack', dir]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('error [VERSION_AMBIGUOUS]');
    expect(ambiguous.stderr).toContain('1.2.3, v1.2.3');

    // One commit past the tag: the message names the tag it found, and how far behind it is.
    await writeFile(path.join(dir, 'CHANGELOG.md'), 'next');
    git('add', '.');
    git('commit', '-qm', 'next');
    const behind = await bonsai(['pack', dir]);
    expect(behind.code).toBe(2);
    expect(behind.stderr).toMatch(
      /error \[VERSION_UNKNOWN\]: no --version given and HEAD of .* carries no git tag: the nearest tag, v?1\.2\.3, is 1 commit behind HEAD\n/,
    );
    expect(behind.stderr).toContain('hint: tag this commit as the new release (git tag NEW-VERSION)');
  });

  it('warns (PACK_DIRTY_TREE) when packed files differ from the tag, and refuses with --strict', async () => {
    const { dir } = await initProject();
    const git = (...args: string[]) =>
      sh('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], dir);
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'init');
    git('tag', '1.0.0');

    const clean = await bonsai(['pack', dir, '--json']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stderr).not.toContain('PACK_DIRTY_TREE');
    expect(JSON.parse(clean.stdout).warnings).toEqual([]);
    // dist/ itself, and files pack never reads, are not packed content.
    await writeFile(path.join(dir, 'notes.txt'), 'scratch\n');
    expect((await bonsai(['pack', dir])).stderr).not.toContain('PACK_DIRTY_TREE');

    await writeFile(path.join(dir, 'bin', 'hello-world'), '#!/bin/sh\necho changed\n', { mode: 0o755 });
    await mkdir(path.join(dir, 'lib'), { recursive: true });
    await writeFile(path.join(dir, 'lib', 'extra.so'), 'x');
    const before = await readFile(path.join(dir, 'dist', 'hello-world_1.0.0_sha512-checksums.txt'), 'utf8');
    const dirty = await bonsai(['pack', dir, '--json']);
    expect(dirty.code).toBe(0);
    expect(dirty.stderr).toMatch(
      /^warning \[PACK_DIRTY_TREE\]: 2 packed files differ from tag 1\.0\.0 \([0-9a-f]{7}\): bin\/hello-world \(modified\), lib\/extra\.so \(untracked\)$/m,
    );
    expect(dirty.stderr).toContain('hint: the archives would not be what the tag builds');
    expect(JSON.parse(dirty.stdout).warnings).toEqual([
      expect.objectContaining({ code: 'PACK_DIRTY_TREE', hint: expect.stringContaining('--strict') }),
    ]);

    await writeFile(path.join(dir, 'bin', 'hello-world'), '#!/bin/sh\necho changed again\n', { mode: 0o755 });
    const afterWarned = await readFile(
      path.join(dir, 'dist', 'hello-world_1.0.0_sha512-checksums.txt'),
      'utf8',
    );
    const strict = await bonsai(['pack', dir, '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('error [PACK_DIRTY_TREE]: 2 packed files differ from tag 1.0.0');
    // Refused before anything is written: dist keeps what the last pack wrote.
    expect(await readFile(path.join(dir, 'dist', 'hello-world_1.0.0_sha512-checksums.txt'), 'utf8')).toBe(
      afterWarned,
    );
    expect(afterWarned).not.toBe(before);

    // A version not tagged yet is compared with HEAD, and says so.
    const untagged = await bonsai(['pack', dir, '--version', '2.0.0']);
    expect(untagged.stderr).toMatch(/differ from HEAD \([0-9a-f]{7}; there is no tag 2\.0\.0 yet\)/);
  });

  it('refuses a SOURCE_DATE_EPOCH that is not whole seconds, naming the variable', async () => {
    const { dir } = await initProject();
    const run = await bonsai(['pack', dir, '--version', '1'], { env: { SOURCE_DATE_EPOCH: '2024-01-01' } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error [SOURCE_DATE_EPOCH_INVALID]: SOURCE_DATE_EPOCH="2024-01-01"');
  });

  it('lists bonsai.yml errors with their lines and writes nothing', async () => {
    const { dir } = await initProject();
    await writeFile(
      path.join(dir, 'bonsai.yml'),
      ONE_BUILD.replace(`"entity.system.arch == 'amd64'"`, '"entity.system.arch == amd64"'),
    );
    const run = await bonsai(['pack', dir, '--version', '1.0.0'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^bonsai\.yml:10:32 {2}error FILTER_UNQUOTED_IDENTIFIER/m);
    expect(run.stderr).toContain('error [CONFIG_INVALID]');
    expect(await listing(path.join(dir, 'dist'))).toEqual([]);
  });

  it('streams large files and packs empty ones: GNU tar extracts both byte for byte', async () => {
    const { root, dir } = await initProject();
    await mkdir(path.join(dir, 'lib'));
    const blob = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(path.join(dir, 'lib/blob.bin'), blob);
    await writeFile(path.join(dir, 'lib/empty'), '');
    expect((await bonsai(['pack', dir, '--version', '1'])).code).toBe(0);
    const out = path.join(root, 'out');
    await mkdir(out);
    expect(
      sh('tar', ['-xzf', path.join(dir, 'dist/hello-world_1_linux_amd64.tar.gz'), '-C', out]).status,
    ).toBe(0);
    expect((await readFile(path.join(out, 'lib/blob.bin'))).equals(blob)).toBe(true);
    expect(await readFile(path.join(out, 'lib/empty'), 'utf8')).toBe('');
  });

  it('shows progress on a TTY only', async () => {
    const { dir } = await initProject();
    const quiet = await bonsai(['pack', dir, '--version', '1']);
    expect(quiet.stderr).not.toContain('\r');
    await rm(path.join(dir, 'dist'), { recursive: true });
    const tty = await bonsai(['pack', dir, '--version', '1'], { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain('\r\u001b[Kpacking 5/5 archives');
  });

  it('replaces the files of an earlier pack and leaves other files alone', async () => {
    const { dir } = await initProject();
    const dist = path.join(dir, 'dist');
    await mkdir(dist);
    await writeFile(path.join(dist, 'hello-world_1_linux_amd64.tar.gz'), 'stale');
    await writeFile(path.join(dist, 'keep.txt'), 'mine');
    expect((await bonsai(['pack', dir, '--version', '1'])).code).toBe(0);
    expect((await readFile(path.join(dist, 'hello-world_1_linux_amd64.tar.gz'))).subarray(0, 2)).toEqual(
      Buffer.from([0x1f, 0x8b]),
    );
    expect(await readFile(path.join(dist, 'keep.txt'), 'utf8')).toBe('mine');
    expect((await listing(dist)).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});
