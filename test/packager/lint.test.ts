import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bonsai } from '../cli/run-cli.js';

const GOOD = `---
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
  arch: armv7
  asset_filename: "#{repo}_#{version}_linux_armv7.tar.gz"
  sha_filename: "#{repo}_#{version}_sha512-checksums.txt"
  filter:
  - "entity.system.os == 'linux'"
  - "entity.system.arch == 'armv7'"
`;

const BROKEN = `builds:
- platform: linux
  arch: amd64
  asset_filename: "#{repo}_#{tag}.tar.gz"
- linux
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bonsai-lint-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bonsai lint', () => {
  it('finds .bonsai.yml in the current folder, prints warnings as FILE:LINE:COL and exits 0', async () => {
    await writeFile(path.join(dir, '.bonsai.yml'), GOOD);
    const run = await bonsai(['lint'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^\.bonsai\.yml:17:5 {2}warning FILTER_NEVER_MATCHES {2}.*'arm'.*arm_version == 7/m,
    );
    expect(run.stdout).toContain('.bonsai.yml: valid, 0 errors, 1 warning');
  });

  it('lists every error of a broken file with its line and exits 1', async () => {
    await writeFile(path.join(dir, 'bonsai.yml'), BROKEN);
    const run = await bonsai(['lint', 'bonsai.yml'], { cwd: dir });
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toEqual([
      "bonsai.yml:2:3  error BUILD_MISSING_FIELD  build #1 is missing a 'sha_filename' value",
      expect.stringMatching(
        /^bonsai\.yml:4:19 {2}error INTERPOLATION_UNKNOWN_TOKEN {2}build #1 'asset_filename': unknown token '#\{tag\}'/,
      ),
      expect.stringMatching(/^bonsai\.yml:5:3 {2}error BUILD_MALFORMED {2}build #2 is malformed/),
      'bonsai.yml: invalid, 3 errors, 0 warnings',
    ]);
  });

  it('prints the file names each build expects with --repo and --tag', async () => {
    await writeFile(path.join(dir, 'bonsai.yml'), GOOD);
    const run = await bonsai(['lint', '--repo', 'acme/sensu-check', '--tag', '0.1.0'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('files expected in the release of acme/sensu-check 0.1.0:');
    expect(run.stdout).toContain(
      '  linux/amd64: sensu-check_0.1.0_linux_amd64.tar.gz (sha512 in sensu-check_0.1.0_sha512-checksums.txt)',
    );
  });

  it('prints one JSON object with --json, builds interpolated when --repo/--tag are given', async () => {
    await writeFile(path.join(dir, 'bonsai.yml'), GOOD);
    const run = await bonsai(['lint', '--json', '--repo', 'sensu-check', '--tag', 'v2.0.0'], { cwd: dir });
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(Object.keys(result)).toEqual(['valid', 'errors', 'warnings', 'builds']);
    expect(result.valid).toBe(true);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      { code: 'FILTER_NEVER_MATCHES', message: expect.stringContaining('armv7'), line: 17, column: 5 },
    ]);
    expect(result.builds[0]).toEqual({
      platform: 'linux',
      arch: 'amd64',
      asset_filename: 'sensu-check_v2.0.0_linux_amd64.tar.gz',
      sha_filename: 'sensu-check_v2.0.0_sha512-checksums.txt',
      filters: ["entity.system.os == 'linux'", "entity.system.arch == 'amd64'"],
    });
  });

  it('prints a usage failure under --json in the one failure shape, {ok, error, problems}', async () => {
    const run = await bonsai(['lint', '--json', '--repo', 'sensu-check'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error [USAGE]: --repo and --tag go together');
    expect(JSON.parse(run.stdout)).toEqual({
      ok: false,
      error: { code: 'USAGE', message: expect.stringContaining('--repo and --tag go together') },
      problems: [],
    });
  });

  it('keeps the templates in --json builds without --repo/--tag, and reports errors as objects', async () => {
    await writeFile(path.join(dir, 'bonsai.yml'), GOOD);
    const good = JSON.parse((await bonsai(['lint', '--json'], { cwd: dir })).stdout);
    expect(good.builds[1].asset_filename).toBe('#{repo}_#{version}_linux_armv7.tar.gz');

    await writeFile(path.join(dir, 'bonsai.yml'), BROKEN);
    const run = await bonsai(['lint', '--json'], { cwd: dir });
    expect(run.code).toBe(1);
    const bad = JSON.parse(run.stdout);
    expect(bad.valid).toBe(false);
    expect(bad.errors.map((e: { code: string; line: number }) => `${e.code}@${e.line}`)).toEqual([
      'BUILD_MISSING_FIELD@2',
      'INTERPOLATION_UNKNOWN_TOKEN@4',
      'BUILD_MALFORMED@5',
    ]);
    expect(bad.builds).toEqual([]);
  });

  it('reads a folder given as FILE', async () => {
    await mkdir(path.join(dir, 'plugin'));
    await writeFile(path.join(dir, 'plugin', 'bonsai.yaml'), GOOD);
    const run = await bonsai(['lint', 'plugin'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(path.join('plugin', 'bonsai.yaml') + ': valid');
  });

  it('reports a folder without a configuration as Bonsai does (exit 1)', async () => {
    const run = await bonsai(['lint', '--json'], { cwd: dir });
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.errors[0]).toMatchObject({ code: 'CONFIG_NOT_FOUND', line: 0, column: 0 });
    expect(result.errors[0].message).toContain('cannot find a Bonsai configuration file');
  });

  it('refuses two configuration files, naming both (exit 1)', async () => {
    await writeFile(path.join(dir, 'bonsai.yml'), GOOD);
    await writeFile(path.join(dir, '.bonsai.yml'), GOOD);
    const run = await bonsai(['lint'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('both bonsai.yml and .bonsai.yml exist');
  });

  it.each([
    [['lint', 'missing.yml'], 'missing.yml: no such file or folder'],
    [['lint', '--repo', 'x'], '--repo and --tag go together'],
    [['lint', '--tag', '1.0.0'], '--repo and --tag go together'],
    [['lint', '--bogus'], "unknown option '--bogus'"],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    await writeFile(path.join(dir, 'bonsai.yml'), GOOD);
    const run = await bonsai(args, { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('teaches its use in --help', async () => {
    const run = await bonsai(['lint', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('FILE:LINE:COL');
    expect(run.stdout).toContain(
      'Exit codes:\n  0  The file is valid (warnings allowed).\n  1  The file is invalid.\n',
    );
  });
});

/** The filters of issue 13, each as the only filter of a build of its own (one build per problem). */
const AGENT_BREAKERS = `builds:
- platform: linux
  arch: amd64
  asset_filename: a.tar.gz
  sha_filename: s.txt
  filter:
  - "entity.system.os = 'linux'"
- platform: linux
  arch: "386"
  asset_filename: b.tar.gz
  sha_filename: s.txt
  filter:
  - "entity.system.arch == amd64"
- platform: linux
  arch: arm64
  asset_filename: c.tar.gz
  sha_filename: s.txt
  filter:
  - "entity.System.OS == 'linux'"
- platform: darwin
  arch: amd64
  asset_filename: d.tar.gz
  sha_filename: s.txt
  filter:
  - "entity.system.os == 'darwin'"
  - "entity.system.platform.startsWith('dar')"
`;

const ONLY_WARNINGS = `builds:
- platform: windows
  arch: amd64
  asset_filename: w.tar.gz
  sha_filename: s.txt
  filter: "entity.system.os == 'windows'"
- platform: linux
  arch: armv7
  asset_filename: a.tar.gz
  sha_filename: s.txt
  filter:
  - "entity.system.os == 'linux'"
  - "entity.system.arm_version === '7'"
  - ""
- platform: linux
  arch: arm
  asset_filename: b.tar.gz
  sha_filename: s.txt
  filter:
  - "entity.system.os == 'linux'"
  - "entity.system.arch == 'arm'"
- platform: linux
  arch: armhf
  asset_filename: c.tar.gz
  sha_filename: s.txt
  filter:
  - "entity.system.os == 'linux'"
  - "entity.system.arch == 'arm'"
  - "entity.system.arm_version == 7"
- platform: windows
  arch: amd64
  asset_filename: d.tar.gz
  sha_filename: s.txt
filter:
- "entity.system.os == 'windows'"
`;

describe('bonsai lint: filters as the agent runs them', () => {
  it('fails (exit 1) on filters that throw or assign, each at FILE:LINE:COL with a hint line', async () => {
    await writeFile(path.join(dir, 'bonsai.yml'), AGENT_BREAKERS);
    const run = await bonsai(['lint'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^bonsai\.yml:7:23 {2}error FILTER_ASSIGNMENT {2}build #1: `entity\.system\.os = 'linux'` assigns/,
      ),
      "  hint: compare with ==: `entity.system.os == 'linux'`",
      expect.stringMatching(
        /^bonsai\.yml:13:28 {2}error FILTER_UNQUOTED_IDENTIFIER {2}.*ReferenceError: 'amd64' is not defined/,
      ),
      "  hint: quote the value: 'amd64'",
      expect.stringMatching(
        /^bonsai\.yml:19:13 {2}error FILTER_WRONG_CASE {2}build #3: `entity\.System` is not a name/,
      ),
      '  hint: write `entity.system`',
      expect.stringMatching(
        /^bonsai\.yml:26:29 {2}error FILTER_ES6_METHOD {2}.*TypeError: 'startsWith' is not a function.*on darwin\/amd64/,
      ),
      "  hint: write it in ES5: `entity.system.platform.indexOf('dar') === 0`",
      'bonsai.yml: invalid, 4 errors, 0 warnings',
    ]);
  });

  it('passes (exit 0) with warnings: never-true, empty, overlapping, duplicate, no filter, dedented filter', async () => {
    await writeFile(path.join(dir, 'bonsai.yml'), ONLY_WARNINGS);
    const run = await bonsai(['lint'], { cwd: dir });
    expect(run.code).toBe(0);
    const found = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('bonsai.yml:'))
      .map((l) => l.split('  ').slice(0, 2).join(' '));
    expect(found).toEqual([
      'bonsai.yml:13:6 warning FILTER_NEVER_MATCHES',
      'bonsai.yml:14:5 warning FILTER_EMPTY',
      'bonsai.yml:22:13 warning BUILDS_OVERLAP',
      'bonsai.yml:30:13 warning BUILD_DUPLICATE_PLATFORM_ARCH',
      'bonsai.yml:30:13 warning BUILD_NO_FILTER',
      'bonsai.yml:34:1 warning BUILD_FILTER_DEDENTED',
      'bonsai.yml: valid, 0 errors, 6 warnings',
    ]);
  });

  it('--json gives each problem its hint', async () => {
    await writeFile(path.join(dir, 'bonsai.yml'), AGENT_BREAKERS);
    const run = await bonsai(['lint', '--json'], { cwd: dir });
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.errors[1]).toEqual({
      code: 'FILTER_UNQUOTED_IDENTIFIER',
      message: expect.stringContaining("ReferenceError: 'amd64' is not defined"),
      line: 13,
      column: 28,
      hint: "quote the value: 'amd64'",
    });
  });

  it('--explain prints, for each build, the machines it is installed on', async () => {
    await writeFile(path.join(dir, 'bonsai.yml'), GOOD.replace("arch == 'armv7'", "arch == 'arm'"));
    const run = await bonsai(['lint', '--explain'], { cwd: dir });
    expect(run.code).toBe(0);
    const table = run.stdout.split('\n');
    const start = table.indexOf(
      'machines each build is installed on (sensu-go up to 6.12 takes the first build that matches):',
    );
    expect(start).toBeGreaterThan(0);
    expect(table.slice(start + 1, start + 3)).toEqual([
      '  #1 linux/amd64  linux/amd64',
      '  #2 linux/armv7  linux/arm v5, linux/arm v6, linux/arm v7',
    ]);
    expect(table[start + 3]).toMatch(/^ {2}no build {8}linux\/386, linux\/arm64, .* and \d+ more$/);
  });

  it('--explain --json adds the same table as objects', async () => {
    await writeFile(path.join(dir, 'bonsai.yml'), GOOD);
    const result = JSON.parse((await bonsai(['lint', '--explain', '--json'], { cwd: dir })).stdout);
    expect(result.explain.slice(0, 2)).toEqual([
      { build: 1, platform: 'linux', arch: 'amd64', outcome: 'chosen', machines: ['linux/amd64'] },
      { build: 2, platform: 'linux', arch: 'armv7', outcome: 'chosen', machines: [] },
    ]);
    expect(result.explain[2]).toMatchObject({ build: null, outcome: 'none' });
  });
});
