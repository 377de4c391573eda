import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compileRelease, planRelease, type ReleaseFiles } from './compile.js';
import { parseBonsaiConfig, type BonsaiConfig } from './config.js';

const CONFIG = `description: "#{repo}"
builds:
- platform: linux
  arch: amd64
  asset_filename: "#{repo}_#{version}_linux_amd64.tar.gz"
  sha_filename: "#{repo}_#{version}_sha512-checksums.txt"
  filter:
  - "entity.system.os == 'linux'"
- platform: Windows
  arch: amd64
  asset_filename: "#{repo}_#{version}_windows_amd64.tar.gz"
  sha_filename: "#{repo}_#{version}_sha512-checksums.txt"
`;

const sha = (text: string) => createHash('sha512').update(text).digest('hex');
const LINUX = 'check_1.2.0_linux_amd64.tar.gz';
const WINDOWS = 'check_1.2.0_windows_amd64.tar.gz';
const SUMS = 'check_1.2.0_sha512-checksums.txt';

function config(text = CONFIG): BonsaiConfig {
  const { config, diagnostics } = parseBonsaiConfig(text);
  if (!config) throw new Error(JSON.stringify(diagnostics));
  return config;
}

function release(overrides: Partial<ReleaseFiles> = {}): ReleaseFiles {
  return {
    repo: 'acme/check',
    tag: '1.2.0',
    releaseFileNames: [LINUX, WINDOWS, SUMS],
    checksumFiles: { [SUMS]: `${sha('linux')}  ${LINUX}\n${sha('windows')}  ${WINDOWS}\n` },
    ...overrides,
  };
}

const located = (r: ReturnType<typeof compileRelease>) =>
  r.diagnostics.map((d) => `${d.code} ${d.line}:${d.column} ${d.message}`);

describe('planRelease', () => {
  it('interpolates each build and lists each checksum file once; an owner/ prefix is dropped', () => {
    const plan = planRelease(config(), { repo: 'acme/check', tag: '1.2.0' });
    expect(plan.builds.map((b) => [b.platform, b.assetFilename, b.shaFilename])).toEqual([
      ['linux', LINUX, SUMS],
      ['Windows', WINDOWS, SUMS],
    ]);
    expect(plan.checksumFiles).toEqual([SUMS]);
  });
});

describe('compileRelease', () => {
  it('gives every build its file name, sha512 and filters, in bonsai.yml order', () => {
    const result = compileRelease(config(), release());
    expect(result.ok).toBe(true);
    expect(result.diagnostics).toEqual([]);
    expect(result.builds).toEqual([
      {
        number: 1,
        platform: 'linux',
        arch: 'amd64',
        assetFilename: LINUX,
        shaFilename: SUMS,
        sha512: sha('linux'),
        checksumLine: 1,
        filters: ["entity.system.os == 'linux'"],
      },
      {
        number: 2,
        platform: 'Windows',
        arch: 'amd64',
        assetFilename: WINDOWS,
        shaFilename: SUMS,
        sha512: sha('windows'),
        checksumLine: 2,
        filters: [],
      },
    ]);
  });

  it('reports a missing asset in Bonsai wording at the asset_filename line, listing what the release has', () => {
    const result = compileRelease(config(), release({ releaseFileNames: [WINDOWS, SUMS] }));
    expect(result.ok).toBe(false);
    expect(result.builds).toEqual([]);
    expect(located(result)).toEqual([
      `RELEASE_ASSET_MISSING 5:19 missing GitHub release asset for ${LINUX} (the release has: ${WINDOWS}, ${SUMS})`,
    ]);
  });

  it('reports a file name no release can carry as such, not as a missing file', () => {
    // A tag can bring a separator the template does not have.
    const result = compileRelease(
      config(),
      release({ tag: 'release/1.2', releaseFileNames: [WINDOWS, SUMS] }),
    );
    expect(result.ok).toBe(false);
    expect(located(result)[0]).toBe(
      "RELEASE_FILE_NAME_INVALID 5:19 build #1 'asset_filename' gives 'check_release/1.2_linux_amd64.tar.gz', " +
        "which cannot be a release file name: it contains a path separator ('/', or '\\' on Windows); release " +
        'files have plain names (e.g. "#{repo}_#{version}_linux_amd64.tar.gz")',
    );
    expect(result.diagnostics.map((d) => d.code)).not.toContain('RELEASE_ASSET_MISSING');
  });

  it('explains a v-prefixed tag when the files exist without the v', () => {
    const result = compileRelease(config(), release({ tag: 'v1.2.0' }));
    const messages = result.diagnostics.map((d) => d.message);
    expect(result.diagnostics.map((d) => d.code)).toEqual([
      'RELEASE_ASSET_MISSING',
      'CHECKSUM_FILE_MISSING',
      'RELEASE_ASSET_MISSING',
      'CHECKSUM_FILE_MISSING',
    ]);
    expect(messages[0]).toBe(
      `missing GitHub release asset for check_v1.2.0_linux_amd64.tar.gz; the release has ${LINUX}: #{version} is ` +
        "the tag verbatim ('v1.2.0'), and the files are named without the 'v'. Tag the release '1.2.0' " +
        "(Sensu plugins tag without 'v'), or rename the files",
    );
  });

  it('explains a v-less tag when the files carry a v', () => {
    const files = [
      'check_v1.2.0_linux_amd64.tar.gz',
      'check_v1.2.0_windows_amd64.tar.gz',
      'check_v1.2.0_sha512-checksums.txt',
    ];
    const result = compileRelease(config(), release({ releaseFileNames: files }));
    expect(result.diagnostics[0]?.message).toContain(
      "the files are named with a 'v'. Tag the release 'v1.2.0'",
    );
  });

  it('reports a missing checksum file at the sha_filename line', () => {
    const result = compileRelease(config(), release({ releaseFileNames: [LINUX, WINDOWS] }));
    expect(located(result)[0]).toMatch(`CHECKSUM_FILE_MISSING 6:17 missing GitHub release asset for ${SUMS}`);
  });

  it('reports a checksum file without the asset as "cannot extract the SHA"', () => {
    const result = compileRelease(
      config(),
      release({ checksumFiles: { [SUMS]: `${sha('w')}  ${WINDOWS}\n${sha('x')}  other.tar.gz\n` } }),
    );
    expect(located(result)).toEqual([
      `CHECKSUM_NOT_FOUND 6:17 cannot extract the SHA for ${LINUX}: no line of ${SUMS} names it ` +
        `(it lists ${WINDOWS}, other.tar.gz)`,
    ]);
  });

  it('uses a lone checksum line whatever name it carries (Bonsai selection)', () => {
    const one = `builds:\n- platform: linux\n  arch: amd64\n  asset_filename: a.tar.gz\n  sha_filename: a.sha512\n`;
    const result = compileRelease(config(one), {
      repo: 'r',
      tag: '1',
      releaseFileNames: ['a.tar.gz', 'a.sha512'],
      checksumFiles: { 'a.sha512': `${sha('a')}  something-else.tar.gz\n` },
    });
    expect(result.builds[0]?.sha512).toBe(sha('a'));
  });

  it('reports a malformed checksum file, with the checksum file line', () => {
    const result = compileRelease(
      config(),
      release({ checksumFiles: { [SUMS]: `abc123  ${LINUX}\n${sha('w')}  ${WINDOWS}\n` } }),
    );
    expect(result.ok).toBe(false);
    const bad = result.diagnostics.find((d) => d.file === SUMS);
    expect(bad).toMatchObject({ code: 'CHECKSUM_BAD_DIGEST', line: 1 });
  });

  it('reports a checksum file the caller could not read', () => {
    const result = compileRelease(config(), release({ checksumFiles: {} }));
    expect(result.diagnostics.map((d) => d.code)).toEqual(['CHECKSUM_FILE_MISSING', 'CHECKSUM_FILE_MISSING']);
    expect(result.diagnostics[0]?.message).toContain('could not be read');
  });

  it('reports a checksum file left unread for its size once, at the first build naming it', () => {
    const result = compileRelease(config(), release({ checksumFiles: {}, checksumFilesTooLarge: [SUMS] }));
    expect(located(result)).toEqual([
      `CHECKSUM_FILE_TOO_LARGE 6:17 cannot extract the SHA for ${LINUX}: the checksum file ${SUMS} is larger ` +
        'than 1048576 bytes (1 MiB), so it was not read; a checksum file holds one line per archive: attach ' +
        'the one bonsai pack or goreleaser wrote',
    ]);
  });

  it('reports every broken build, not only the first', () => {
    const result = compileRelease(
      config(),
      release({ releaseFileNames: [SUMS], checksumFiles: { [SUMS]: '' } }),
    );
    expect(result.diagnostics.map((d) => `${d.code} ${d.line}`)).toEqual([
      'RELEASE_ASSET_MISSING 5',
      'RELEASE_ASSET_MISSING 11',
    ]);
  });
});
