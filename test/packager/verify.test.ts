import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bonsai, initProject, sh, tempDir } from './fixture.js';

const ARCHIVE = 'hello-world_0.0.1_linux_amd64.tar.gz';
const SUMS = 'hello-world_0.0.1_sha512-checksums.txt';

async function packedDist(): Promise<{ dist: string; sha512: string }> {
  const { dir } = await initProject();
  expect((await bonsai(['pack', dir, '--version', '0.0.1'])).code).toBe(0);
  const dist = path.join(dir, 'dist');
  const sums = await readFile(path.join(dist, SUMS), 'utf8');
  const sha512 = sums
    .split('\n')
    .find((l) => l.endsWith(ARCHIVE))!
    .slice(0, 128);
  return { dist, sha512 };
}

describe('bonsai verify', () => {
  it('prints format, digest, entries with modes and what lands on PATH, LD_LIBRARY_PATH and CPATH', async () => {
    const { dist, sha512 } = await packedDist();
    const run = await bonsai(['verify', ARCHIVE, '--sha512', sha512.toUpperCase()], { cwd: dist });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('format   gzip (a tar inside)\n');
    expect(run.stdout).toContain(`sha512   ${sha512}\n`);
    expect(run.stdout).toContain('digest   matches --sha512\n');
    expect(run.stdout).toMatch(/ {2}drwxr-xr-x +0 {2}bin\/\n {2}-rwxr-xr-x +\d+ {2}bin\/hello-world\n/);
    expect(run.stdout).toContain('  PATH             bin/ → hello-world\n');
    expect(run.stdout).toContain('  LD_LIBRARY_PATH  (no lib/)\n');
    expect(run.stdout).toContain('  CPATH            (no include/)\n');
    expect(run.stdout).toContain(`verify passed: the agent would install ${ARCHIVE}`);
  });

  it('takes the digest from a checksum file, by Bonsai’s rule, and names the line', async () => {
    const { dist } = await packedDist();
    const run = await bonsai([
      'verify',
      path.join(dist, ARCHIVE),
      '--checksums',
      path.join(dist, SUMS),
      '--json',
    ]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as {
      ok: boolean;
      digest: { matches: boolean; source: string };
      agent: { path: string[] };
    };
    expect(json.ok).toBe(true);
    expect(json.digest.matches).toBe(true);
    expect(json.digest.source).toMatch(new RegExp(`${SUMS.replaceAll('.', '\\.')}:\\d$`));
    expect(json.agent.path).toEqual(['bin/hello-world']);
  });

  it('fails on a digest that does not match', async () => {
    const { dist } = await packedDist();
    const run = await bonsai(['verify', ARCHIVE, '--sha512', 'a'.repeat(128)], { cwd: dist });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('digest   does NOT match --sha512');
    expect(run.stdout).toMatch(
      /error ARCHIVE_DIGEST_MISMATCH {2}the sha512 of hello-world_0\.0\.1_linux_amd64\.tar\.gz is [0-9a-f]{128}, but --sha512 gives a{128}; the Sensu agent would refuse to install it/,
    );
  });

  it('fails when the checksum file does not list the archive', async () => {
    const { dist } = await packedDist();
    await writeFile(
      path.join(dist, 'other.txt'),
      `${'b'.repeat(128)}  x.tar.gz\n${'c'.repeat(128)}  y.tar.gz\n`,
    );
    const run = await bonsai(['verify', ARCHIVE, '--checksums', 'other.txt'], { cwd: dist });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`error CHECKSUM_NOT_FOUND  cannot extract the SHA for ${ARCHIVE}`);
  });

  it('says when the checksum file cannot be read (not the same as a file without the archive)', async () => {
    const { dist } = await packedDist();
    const run = await bonsai(['verify', ARCHIVE, '--checksums', 'missing-sums.txt'], { cwd: dist });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error [CHECKSUM_FILE_UNREADABLE]: missing-sums.txt: cannot read the checksum file (ENOENT)',
    );
    expect(run.stdout).toBe('');
  });

  it.each([
    ['zip', [0x50, 0x4b, 0x03, 0x04]],
    ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
    ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
    ['bzip2', [0x42, 0x5a, 0x68, 0x39]],
  ])('refuses a %s archive by its content, whatever its name', async (format, magic) => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'x.tar.gz'), Buffer.concat([Buffer.from(magic), Buffer.alloc(600, 7)]));
    const run = await bonsai(['verify', 'x.tar.gz'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`format   ${format}\n`);
    expect(run.stdout).toContain(
      `x.tar.gz  error ARCHIVE_FORMAT_UNSUPPORTED  the file is a ${format} archive`,
    );
  });

  it('accepts a plain tar made by GNU tar, and shows lib/ and include/ on their paths', async () => {
    const dir = await tempDir();
    for (const [name, mode] of [
      ['bin/run', 0o755],
      ['lib/libx.so', 0o644],
      ['lib/filters.js', 0o644],
      ['include/x.h', 0o644],
    ] as const) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), 'x');
      await chmod(path.join(dir, name), mode);
    }
    expect(sh('tar', ['-cf', 'x.tar', './bin', './lib', './include'], dir).status).toBe(0);
    const run = await bonsai(['verify', 'x.tar'], { cwd: dir });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('format   tar\n');
    expect(run.stdout).toContain('digest   not compared (give --sha512 or --checksums)');
    expect(run.stdout).toContain('  LD_LIBRARY_PATH  lib/ (2 files)\n');
    expect(run.stdout).toContain('  CPATH            include/ (1 file)\n');
    expect(run.stdout).toContain('  JavaScript       lib/filters.js');
  });

  it('reports a truncated archive as corrupt but still prints its digest', async () => {
    const { dist } = await packedDist();
    const bytes = await readFile(path.join(dist, ARCHIVE));
    await writeFile(path.join(dist, 'cut.tar.gz'), bytes.subarray(0, bytes.length - 40));
    const run = await bonsai(['verify', 'cut.tar.gz'], { cwd: dist });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/sha512 {3}[0-9a-f]{128}\n/);
    expect(run.stdout).toContain('error ARCHIVE_CORRUPT  the gzip stream ends early (truncated)');
  });

  it('checks a Windows build for a .exe, .bat or .cmd instead of exec bits', async () => {
    const { dist } = await packedDist();
    const windows = await bonsai(['verify', 'hello-world_0.0.1_windows_amd64.tar.gz', '--windows'], {
      cwd: dist,
    });
    expect(windows.code).toBe(0);
    const linux = await bonsai(['verify', ARCHIVE, '--windows'], { cwd: dist });
    expect(linux.code).toBe(0);
    expect(linux.stdout).toContain('warning ARCHIVE_WINDOWS_NO_EXECUTABLE');
  });

  it.each([
    [['verify', 'x.tar.gz', '--sha512', 'abc'], '--sha512 must be 128 hex digits'],
    [
      ['verify', 'x.tar.gz', '--sha512', 'a'.repeat(128), '--checksums', 'x'],
      'give --sha512 or --checksums, not both',
    ],
  ])('refuses a bad command line: %j', async (args, message) => {
    const run = await bonsai(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('says when the archive does not exist', async () => {
    const dir = await tempDir();
    const run = await bonsai(['verify', 'nope.tar.gz'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error [ARCHIVE_NOT_FOUND]: nope.tar.gz: no such file');
  });
});
