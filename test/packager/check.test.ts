import { createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import { describe, expect, it } from 'vitest';
import { bonsai, initProject, sh, tempDir } from './fixture.js';

const SUMS = 'hello-world_1.0.0_sha512-checksums.txt';
const AMD64 = 'hello-world_1.0.0_linux_amd64.tar.gz';

/** A hello-world project packed as 1.0.0: `dir`, its `dist`, and the bonsai.yml text. */
async function packed() {
  const { dir } = await initProject();
  const run = await bonsai(['pack', dir, '--version', '1.0.0']);
  if (run.code !== 0) throw new Error(run.stderr);
  return { dir, dist: path.join(dir, 'dist'), yml: await readFile(path.join(dir, 'bonsai.yml'), 'utf8') };
}

/** 1-based line of the first line of `text` containing `needle`, after line `after`. */
function lineOf(text: string, needle: string, after = 0): number {
  const lines = text.split('\n');
  const index = lines.findIndex((l, i) => i >= after && l.includes(needle));
  if (index < 0) throw new Error(`${needle} not found`);
  return index + 1;
}

/** Rewrites the checksum file the way an author would by hand, so only the archive's content is wrong. */
function resum(dist: string) {
  expect(sh('sh', ['-c', `sha512sum *.tar.gz > ${SUMS}`], dist).status).toBe(0);
}

/** Replaces the linux amd64 archive by what GNU tar makes of `layout` (relative paths under a temp folder). */
async function replaceWithGnuTar(
  dist: string,
  files: Record<string, number>,
  args: (folder: string) => string[],
) {
  const folder = await tempDir();
  for (const [name, mode] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(folder, name)), { recursive: true });
    await writeFile(path.join(folder, name), '#!/bin/sh\necho hi\n');
    await chmod(path.join(folder, name), mode);
  }
  expect(sh('tar', ['-czf', path.join(dist, AMD64), ...args(folder)], folder).status).toBe(0);
  resum(dist);
}

describe('bonsai check', () => {
  it('passes a fresh pack: the registry would ingest it and the agent install it', async () => {
    const { dir } = await packed();
    const run = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(run.stdout).toBe(
      'check passed: hello-world 1.0.0, 5 archives in dist verified (0 errors, 0 warnings)\n',
    );
    expect(run.code).toBe(0);
  });

  it('reports a missing archive at its asset_filename line, in Bonsai’s words', async () => {
    const { dir, dist, yml } = await packed();
    await rm(path.join(dist, 'hello-world_1.0.0_linux_arm64.tar.gz'));
    const run = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(run.code).toBe(1);
    const line = lineOf(yml, 'asset_filename', lineOf(yml, 'arm64') - 1);
    expect(run.stdout).toMatch(
      new RegExp(
        `^bonsai\\.yml:${line}:\\d+ {2}error RELEASE_ASSET_MISSING {2}missing GitHub release asset for hello-world_1\\.0\\.0_linux_arm64\\.tar\\.gz`,
        'm',
      ),
    );
    expect(run.stdout).toContain('check failed: hello-world 1.0.0: 1 error, 0 warnings');
  });

  it('recomputes each sha512 and points at the checksum line that disagrees', async () => {
    const { dir, dist } = await packed();
    await copyFile(path.join(dist, 'hello-world_1.0.0_windows_amd64.tar.gz'), path.join(dist, AMD64));
    const sums = await readFile(path.join(dist, SUMS), 'utf8');
    const run = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `^dist/${SUMS.replaceAll('.', '\\.')}:${lineOf(sums, AMD64)}:1 {2}error ARCHIVE_DIGEST_MISMATCH {2}the sha512 of ${AMD64.replaceAll('.', '\\.')} is`,
        'm',
      ),
    );
  });

  it('compares a shared archive with the checksum file of every build that names it', async () => {
    const { dir } = await initProject();
    const shared = (platform: string) =>
      [
        `  - platform: "${platform}"`,
        '    arch: "amd64"',
        '    asset_filename: "#{repo}_#{version}.tar.gz"',
        `    sha_filename: "#{repo}_#{version}_${platform}-sums.txt"`,
      ].join('\n');
    await writeFile(path.join(dir, 'bonsai.yml'), `builds:\n${shared('linux')}\n${shared('alpine')}\n`);
    expect((await bonsai(['pack', '--version', '1.0.0'], { cwd: dir })).code).toBe(0);
    // The alpine build's own checksum file gives another digest for the same archive.
    await writeFile(
      path.join(dir, 'dist', 'hello-world_1.0.0_alpine-sums.txt'),
      `${'0'.repeat(128)}  hello-world_1.0.0.tar.gz\n`,
    );
    const run = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toMatch(
      /^dist\/hello-world_1\.0\.0_alpine-sums\.txt:1:1 {2}error ARCHIVE_DIGEST_MISMATCH {2}the sha512 of hello-world_1\.0\.0\.tar\.gz is [0-9a-f]{128}, but hello-world_1\.0\.0_alpine-sums\.txt gives 0{128}/m,
    );
    expect(run.stdout).not.toContain('linux-sums.txt:1:1');
  });

  it('checks an archive shared by a Windows and a Linux build for both agents', async () => {
    const dir = await tempDir();
    const build = (platform: string) =>
      `- platform: ${platform}\n  arch: amd64\n  asset_filename: x.tar.gz\n  sha_filename: sums.txt\n`;
    await writeFile(path.join(dir, 'bonsai.yml'), `builds:\n${build('windows')}${build('linux')}`);
    await mkdir(path.join(dir, 'content', 'bin'), { recursive: true });
    await writeFile(path.join(dir, 'content', 'bin', 'x.exe'), 'MZ');
    await chmod(path.join(dir, 'content', 'bin', 'x.exe'), 0o644);
    await mkdir(path.join(dir, 'dist'));
    expect(sh('tar', ['-czf', '../dist/x.tar.gz', 'bin'], path.join(dir, 'content')).status).toBe(0);
    expect(sh('sh', ['-c', 'sha512sum x.tar.gz > sums.txt'], path.join(dir, 'dist')).status).toBe(0);
    const run = await bonsai(['check', '--version', '1.0.0', '--repo', 'x'], { cwd: dir });
    // The Windows agent could run bin/x.exe; the Linux agent, which installs the same file, could not.
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toContain("dist/x.tar.gz  error ARCHIVE_NOT_EXECUTABLE  'bin/x.exe' has mode 0644");
  });

  it('leaves a checksum file over 1 MiB unread, as the registry does', async () => {
    const { dir, dist } = await packed();
    await writeFile(path.join(dist, SUMS), 'x'.repeat(1024 * 1024 + 1));
    const run = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `^bonsai\\.yml:\\d+:\\d+ {2}error CHECKSUM_FILE_TOO_LARGE {2}cannot extract the SHA for ${AMD64.replaceAll('.', '\\.')}: the checksum file ${SUMS.replaceAll('.', '\\.')} is larger than 1048576 bytes`,
        'm',
      ),
    );
    expect(run.stdout).toContain('check failed: hello-world 1.0.0: 1 error, 0 warnings');
  });

  it('explains a v-prefixed tag against files named without the v', async () => {
    const { dir } = await packed();
    const run = await bonsai(['check', '--version', 'v1.0.0'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /error RELEASE_ASSET_MISSING {2}missing GitHub release asset for hello-world_v1\.0\.0_linux_amd64\.tar\.gz; the release has hello-world_1\.0\.0_linux_amd64\.tar\.gz/,
    );
    expect(run.stdout).toContain("Tag the release '1.0.0'");
  });

  it('warns about a duplicate platform/arch with its line, and passes (the last build is served)', async () => {
    const { dir, yml } = await packed();
    await writeFile(path.join(dir, 'bonsai.yml'), yml.replace('arch: "arm64"', 'arch: "amd64"'));
    const run = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(run.code).toBe(0);
    // Reported at the second build's mapping (its `- platform:` line).
    const second = lineOf(yml, 'platform', lineOf(yml, 'arm64') - 2);
    expect(run.stdout).toMatch(
      new RegExp(`^bonsai\\.yml:${second}:\\d+ {2}warning BUILD_DUPLICATE_PLATFORM_ARCH`, 'm'),
    );
    expect(run.stdout).toContain('build #1 is dropped and build #2 served, as Bonsai does');
    expect((await bonsai(['check', '--version', '1.0.0', '--strict'], { cwd: dir })).code).toBe(1);
  });

  it('reports a filter that does not parse, with its line', async () => {
    const { dir, yml } = await packed();
    await writeFile(
      path.join(dir, 'bonsai.yml'),
      yml.replace(`"entity.system.arch == 'arm64'"`, `"entity.system.arch == 'arm64"`),
    );
    const run = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `^bonsai\\.yml:${lineOf(yml, "arch == 'arm64'")}:\\d+ {2}error FILTER_SYNTAX {2}syntax error in expression 1`,
        'm',
      ),
    );
  });

  it('warns about a filter that never matches, and fails on it with --strict', async () => {
    const { dir, yml } = await packed();
    await writeFile(
      path.join(dir, 'bonsai.yml'),
      yml.replace(`"entity.system.arch == 'arm'"`, `"entity.system.arch == 'armv7'"`),
    );
    const run = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^bonsai\\.yml:${lineOf(yml, "arch == 'arm'")}:\\d+ {2}warning FILTER_NEVER_MATCHES`, 'm'),
    );
    expect((await bonsai(['check', '--version', '1.0.0', '--strict'], { cwd: dir })).code).toBe(1);
  });

  it('reports the same filter problems as lint, and fails on a filter that throws on the agent', async () => {
    const { dir, yml } = await packed();
    const changed = yml
      .replace(`"entity.system.arch == 'arm64'"`, `"entity.system.platform.includes('x')"`)
      .replace(`"entity.system.arch == 'amd64'"`, `"entity.system.arch == amd64"`)
      .replace(`"entity.system.os == 'darwin'"`, `"entity.system.os == 'Darwin'"`);
    await writeFile(path.join(dir, 'bonsai.yml'), changed);
    const check = await bonsai(['check', '--version', '1.0.0', '--json'], { cwd: dir });
    const lint = await bonsai(['lint', '--json'], { cwd: dir });
    expect([check.code, lint.code]).toEqual([1, 1]);
    type Found = {
      code: string;
      line: number;
      column: number;
      message: string;
      hint?: string;
      file?: string;
    };
    const key = (d: Found) => `${d.line}:${d.column} ${d.code} ${d.message} | ${d.hint ?? ''}`;
    const fromCheck = (JSON.parse(check.stdout).diagnostics as Found[]).filter(
      (d) => d.file === 'bonsai.yml',
    );
    const linted = JSON.parse(lint.stdout) as { errors: Found[]; warnings: Found[] };
    expect(fromCheck.map(key).sort()).toEqual([...linted.errors, ...linted.warnings].map(key).sort());
    expect(fromCheck.map((d) => d.code).sort()).toEqual([
      'FILTER_ES6_METHOD',
      'FILTER_NEVER_MATCHES',
      'FILTER_UNQUOTED_IDENTIFIER',
    ]);
    const human = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(human.stdout).toMatch(
      new RegExp(`^bonsai\\.yml:${lineOf(changed, 'includes')}:\\d+ {2}error FILTER_ES6_METHOD`, 'm'),
    );
    expect(human.stdout).toContain("  hint: write it in ES5: `entity.system.platform.indexOf('x') !== -1`");
  });

  it('says first that dist was packed for another tag, with the command to run', async () => {
    const { dir } = await packed();
    const run = await bonsai(['check', '--version', '2.0.0'], { cwd: dir });
    expect(run.code).toBe(1);
    const [first, hint, ...rest] = run.stdout.split('\n');
    expect(first).toMatch(
      /^dist {2}error DIST_PACKED_FOR_OTHER_RELEASE {2}dist was packed for hello-world 1\.0\.0; this release is hello-world 2\.0\.0: run bonsai pack --repo hello-world --version 2\.0\.0 \(dist has: hello-world_1\.0\.0_darwin_amd64\.tar\.gz, /,
    );
    expect(hint).toContain('bonsai pack --repo hello-world --version 2.0.0, then check again');
    expect(rest.filter((l) => l.includes('(dist has'))).toEqual([]);
  });

  it('names dist, not the GitHub release, when a file is missing', async () => {
    const { dir, dist } = await packed();
    await rm(path.join(dist, 'hello-world_1.0.0_linux_arm64.tar.gz'));
    const run = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('DIST_PACKED_FOR_OTHER_RELEASE');
    expect(run.stdout).toContain(
      'missing GitHub release asset for hello-world_1.0.0_linux_arm64.tar.gz (dist has: hello-world_1.0.0_darwin_amd64.tar.gz,',
    );
  });

  it('catches an archive whose files sit in a wrapping directory', async () => {
    const { dir, dist } = await packed();
    await replaceWithGnuTar(dist, { 'hello-world-1.0.0/bin/hello-world': 0o755 }, () => [
      'hello-world-1.0.0',
    ]);
    const run = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `dist/${AMD64}  error ARCHIVE_WRAPPING_DIRECTORY  everything is inside 'hello-world-1.0.0/'`,
    );
    expect(run.stdout).toContain('tar -C hello-world-1.0.0 -czf ... bin');
  });

  it('catches a zip renamed to .tar.gz', async () => {
    const { dir, dist } = await packed();
    const zip = new ZipArchive();
    const written = pipeline(zip, createWriteStream(path.join(dist, AMD64)));
    zip.append('#!/bin/sh\necho hi\n', { name: 'bin/hello-world', mode: 0o755 });
    await zip.finalize();
    await written;
    resum(dist);
    const run = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `dist/${AMD64}  error ARCHIVE_FORMAT_UNSUPPORTED  the file is a zip archive`,
    );
  });

  it.each([
    [
      'a command without its exec bit',
      { 'bin/hello-world': 0o644 },
      () => ['bin'],
      "ARCHIVE_NOT_EXECUTABLE  'bin/hello-world' has mode 0644",
    ],
    [
      'a duplicate entry',
      { 'bin/hello-world': 0o755 },
      () => ['--hard-dereference', 'bin', 'bin/hello-world'],
      "ARCHIVE_DUPLICATE_ENTRY  'bin/hello-world' appears twice",
    ],
    [
      'a hard link entry',
      { 'bin/hello-world': 0o755 },
      () => ['bin', 'bin/hello-world'],
      "ARCHIVE_HARD_LINK  entry 'bin/hello-world' is a hard link",
    ],
    [
      'an entry leaving the folder',
      { 'bin/hello-world': 0o755 },
      (folder: string) => [
        'bin',
        '-P',
        '--transform',
        's,^bin/hello-world$,../escape,',
        path.join(folder, 'bin/hello-world'),
      ],
      'ARCHIVE_UNSAFE_PATH',
    ],
  ])('catches %s as the agent would meet it', async (_name, files, args, expected) => {
    const { dir, dist } = await packed();
    await replaceWithGnuTar(dist, files, args);
    const run = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`dist/${AMD64}  error ${expected}`);
  });

  it('prints every diagnostic with file and line as JSON', async () => {
    const { dir, dist } = await packed();
    await rm(path.join(dist, AMD64));
    const run = await bonsai(['check', dir, '--version', '1.0.0', '--json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      archives: unknown[];
      diagnostics: { code: string; file: string; line: number }[];
    };
    expect(report.ok).toBe(false);
    expect(report.archives).toHaveLength(4);
    expect(report.diagnostics).toEqual([
      expect.objectContaining({
        code: 'RELEASE_ASSET_MISSING',
        file: path.join(dir, 'bonsai.yml'),
        line: expect.any(Number),
      }),
    ]);
    expect(report.diagnostics[0]!.line).toBeGreaterThan(0);
  });

  it('says in Bonsai’s words when there is no configuration file', async () => {
    const dir = await tempDir();
    const run = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('.  error CONFIG_NOT_FOUND  cannot find a Bonsai configuration file');
  });

  it('says when there is no dist to check', async () => {
    const { dir } = await initProject();
    const run = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error [DIST_NOT_FOUND]: dist: cannot list the release files (ENOENT)');
    expect(run.stderr).toContain('hint: run bonsai pack first');
  });
});

describe('the order of problems', () => {
  it('is the same in lint and check: by file, line and column', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'dist'));
    // Problems found by different passes (the unknown key first, the filters later) on lines in another order.
    await writeFile(
      path.join(dir, 'bonsai.yml'),
      [
        "description: '#{repo}'",
        'builds:',
        "  - platform: 'linux'",
        "    arch: 'amd64'",
        "    asset_filename: 'x_#{version}_linux_amd64.tar.gz'",
        "    sha_filename: 'x_#{version}_sha512-checksums.txt'",
        '    filters:',
        '      - "entity.system.os == \'linux\'"',
        "  - platform: 'linux'",
        "    arch: 'armv7'",
        "    asset_filename: 'x_#{version}_linux_armv7.tar.gz'",
        "    sha_filename: 'x_#{version}_sha512-checksums.txt'",
        '    filter:',
        '      - "entity.system.arch == \'armv7\'"',
        'extra: 1',
        '',
      ].join('\n'),
    );
    const problems = (stdout: string) => stdout.split('\n').filter((l) => /bonsai\.yml:\d+:\d+ /.test(l));
    const lint = problems((await bonsai(['lint'], { cwd: dir })).stdout);
    const check = problems((await bonsai(['check', '--version', '1.0.0'], { cwd: dir })).stdout);
    expect(lint.length).toBeGreaterThanOrEqual(3);
    // check finds more (the release files are missing): lint's problems come in the same order within it.
    expect(check.filter((l) => lint.includes(l))).toEqual(lint);
    const positions = check.map((l) => /bonsai\.yml:(\d+):(\d+)/.exec(l)!.slice(1).map(Number));
    expect(positions).toEqual([...positions].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!));
  });
});
