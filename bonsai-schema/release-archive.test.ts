import { describe, expect, it } from 'vitest';
import type { ArchiveEntryInfo } from './archive-rules.js';
import {
  buildsByArchive,
  digestMismatch,
  releaseArchiveDiagnostics,
  type ArchiveBuild,
  type ArchiveReading,
} from './release-archive.js';

const ACTUAL = 'a'.repeat(128);
const OTHER = 'b'.repeat(128);
const FILE = 'check_1.0.0.tar.gz';

const entry = (name: string, mode: number): ArchiveEntryInfo => ({ name, type: 'file', mode, size: 1 });
const reading = (entries: ArchiveEntryInfo[]): ArchiveReading => ({
  format: 'gzip',
  entries,
  sha512: ACTUAL,
});
const linux = (over: Partial<ArchiveBuild> = {}): ArchiveBuild => ({
  platform: 'linux',
  filters: ["entity.system.os == 'linux'"],
  shaFilename: 'linux-sums.txt',
  sha512: ACTUAL,
  checksumLine: 1,
  ...over,
});
const windows = (over: Partial<ArchiveBuild> = {}): ArchiveBuild => ({
  platform: 'windows',
  filters: ["entity.system.os == 'windows'"],
  shaFilename: 'windows-sums.txt',
  sha512: ACTUAL,
  checksumLine: 1,
  ...over,
});
const codes = (ds: { code: string; file?: string; line: number }[]) =>
  ds.map((d) => `${d.code} ${d.file}:${d.line}`);

describe('releaseArchiveDiagnostics: one archive, every build that names it', () => {
  it.each([
    ['one build, matching digest', [linux()], [entry('bin/x', 0o755)], []],
    [
      'a second build whose own checksum file gives another digest',
      [linux(), windows({ sha512: OTHER, checksumLine: 3 })],
      [entry('bin/x.exe', 0o755)],
      ['ARCHIVE_DIGEST_MISMATCH windows-sums.txt:3'],
    ],
    [
      'the first build wrong, the second right',
      [linux({ sha512: OTHER.toUpperCase(), checksumLine: 2 }), linux({ shaFilename: 'more-sums.txt' })],
      [entry('bin/x', 0o755)],
      ['ARCHIVE_DIGEST_MISMATCH linux-sums.txt:2'],
    ],
    [
      'two builds reading the same wrong line: reported once',
      [linux({ sha512: OTHER }), linux({ sha512: OTHER, platform: 'alpine' })],
      [entry('bin/x', 0o755)],
      ['ARCHIVE_DIGEST_MISMATCH linux-sums.txt:1'],
    ],
    [
      'a build without a digest (compile reported why)',
      [linux({ sha512: undefined })],
      [entry('bin/x', 0o755)],
      [],
    ],
    [
      'a Windows build and a Linux build sharing a .exe without exec bit: the Linux agent cannot run it',
      [windows(), linux()],
      [entry('bin/x.exe', 0o644)],
      [`ARCHIVE_NOT_EXECUTABLE ${FILE}:0`],
    ],
    [
      'a Linux build and a Windows build sharing a shell script: Windows has nothing to run',
      [linux(), windows()],
      [entry('bin/x', 0o755)],
      [`ARCHIVE_WINDOWS_NO_EXECUTABLE ${FILE}:0`],
    ],
    [
      'two builds sharing an unsafe entry: reported once',
      [linux(), windows()],
      [entry('bin/x.exe', 0o755), entry('../evil', 0o644)],
      [`ARCHIVE_UNSAFE_PATH ${FILE}:0`],
    ],
  ])('%s', (_label, builds, entries, expected) => {
    expect(codes(releaseArchiveDiagnostics(FILE, reading(entries), builds))).toEqual(expected);
  });

  it('names the archive, both digests and the checksum file that disagrees', () => {
    const [d] = releaseArchiveDiagnostics(FILE, reading([entry('bin/x', 0o755)]), [
      linux({ sha512: OTHER, checksumLine: 4 }),
    ]);
    expect(d).toEqual(
      digestMismatch({
        archive: FILE,
        actual: ACTUAL,
        expected: OTHER,
        source: 'linux-sums.txt',
        file: 'linux-sums.txt',
        line: 4,
      }),
    );
    expect(d!.message).toBe(
      `the sha512 of ${FILE} is ${ACTUAL}, but linux-sums.txt gives ${OTHER}; the Sensu agent would refuse ` +
        'to install it: rebuild the archive, or regenerate the checksum file from it',
    );
    expect(d).toMatchObject({ severity: 'error', line: 4, column: 1 });
  });
});

describe('buildsByArchive', () => {
  it('groups builds by file name, in their order', () => {
    const builds = [
      { assetFilename: 'a', n: 1 },
      { assetFilename: 'b', n: 2 },
      { assetFilename: 'a', n: 3 },
    ];
    expect([...buildsByArchive(builds)].map(([f, bs]) => [f, bs.map((b) => b.n)])).toEqual([
      ['a', [1, 3]],
      ['b', [2]],
    ]);
  });
});
