import { describe, expect, it } from 'vitest';
import {
  agentView,
  archiveDiagnostics,
  inspectArchiveEntries,
  isWindowsBuild,
  resolveInside,
  sniffArchiveFormat,
  type ArchiveEntryInfo,
} from './archive-rules.js';

function head(bytes: number[], at = 0): Uint8Array {
  const buf = new Uint8Array(512);
  buf.set(bytes, at);
  return buf;
}

describe('sniffArchiveFormat', () => {
  it.each([
    ['gzip', head([0x1f, 0x8b, 0x08])],
    ['tar', head([0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30], 257)],
    ['tar', head([0x75, 0x73, 0x74, 0x61, 0x72, 0x20, 0x20, 0x00], 257)],
    ['zip', head([0x50, 0x4b, 0x03, 0x04])],
    ['zip', head([0x50, 0x4b, 0x05, 0x06])],
    ['xz', head([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
    ['zstd', head([0x28, 0xb5, 0x2f, 0xfd])],
    ['bzip2', head([0x42, 0x5a, 0x68])],
    ['7z', head([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])],
    ['unknown', head([0x1f, 0x8b, 0x07])],
    ['unknown', new Uint8Array([0x75, 0x73])],
    ['unknown', new Uint8Array()],
  ])('%s', (format, bytes) => {
    expect(sniffArchiveFormat(bytes)).toBe(format);
  });
});

const file = (name: string, mode = 0o644): ArchiveEntryInfo => ({ name, type: 'file', mode, size: 1 });
const dir = (name: string): ArchiveEntryInfo => ({ name, type: 'directory', mode: 0o755, size: 0 });
const link = (name: string, target: string, type = 'symlink'): ArchiveEntryInfo => ({
  name,
  type,
  mode: 0o777,
  size: 0,
  linkname: target,
});

describe('inspectArchiveEntries', () => {
  const ok = [dir('bin/'), file('bin/run', 0o755)];
  it.each<[string, ArchiveEntryInfo[], string[]]>([
    [
      'a packed asset',
      [file('README.md'), ...ok, dir('lib/'), file('lib/x.so'), link('lib/y.so', 'x.so')],
      [],
    ],
    ["./-prefixed names and a './' root entry", [dir('./'), dir('./bin/'), file('./bin/run', 0o755)], []],
    ['only lib/ (JavaScript libraries)', [dir('lib/'), file('lib/x.js')], []],
    ['owner exec bit only', [file('bin/run', 0o744)], []],
    ['a symlink in bin/ to an executable', [...ok, link('bin/alias', 'run')], []],
    ['a symlink up and back into the tree', [...ok, dir('lib/'), link('lib/r', '../bin/run')], []],
    ['an absolute name', [...ok, file('/etc/cron.d/x')], ['ARCHIVE_UNSAFE_PATH']],
    ['a .. part', [...ok, file('bin/../../x')], ['ARCHIVE_UNSAFE_PATH']],
    ['a Windows .. part', [...ok, file('bin\\..\\..\\x')], ['ARCHIVE_UNSAFE_PATH']],
    ['an absolute symlink', [...ok, link('bin/sh', '/bin/sh')], ['ARCHIVE_UNSAFE_LINK']],
    ['a symlink leaving the tree', [...ok, link('lib/x', '../../x')], ['ARCHIVE_UNSAFE_LINK']],
    ['a hard link', [...ok, link('bin/copy', 'bin/run', 'link')], ['ARCHIVE_HARD_LINK']],
    [
      'a device',
      [...ok, { name: 'lib/null', type: 'character-device', mode: 0o666, size: 0 }],
      ['ARCHIVE_SPECIAL_ENTRY'],
    ],
    ['a fifo', [...ok, { name: 'lib/p', type: 'fifo', mode: 0o644, size: 0 }], ['ARCHIVE_SPECIAL_ENTRY']],
    ['a duplicate file', [...ok, file('./bin/run', 0o755)], ['ARCHIVE_DUPLICATE_ENTRY']],
    ['a directory listed twice (harmless)', [...ok, dir('./bin')], []],
    ['a file and a directory of one name', [...ok, dir('bin/run/')], ['ARCHIVE_DUPLICATE_ENTRY']],
    [
      'a wrapping directory',
      [dir('pkg-1.0/'), dir('pkg-1.0/bin/'), file('pkg-1.0/bin/run', 0o755)],
      ['ARCHIVE_WRAPPING_DIRECTORY'],
    ],
    ['no asset folder', [file('run.sh', 0o755)], ['ARCHIVE_NO_ASSET_DIRECTORY']],
    [
      'two top folders, none an asset folder',
      [file('a/bin/x', 0o755), file('b/x')],
      ['ARCHIVE_NO_ASSET_DIRECTORY'],
    ],
    [
      'a command without exec bit',
      [dir('bin/'), file('bin/run', 0o644), file('bin/ok', 0o755)],
      ['ARCHIVE_NOT_EXECUTABLE'],
    ],
    [
      'a symlink in bin/ to a non-executable',
      [...ok, dir('lib/'), file('lib/t'), link('bin/t', '../lib/t')],
      ['ARCHIVE_NOT_EXECUTABLE'],
    ],
    [
      'an empty bin/',
      [dir('bin/'), dir('bin/sub/'), file('bin/sub/x', 0o755)],
      ['ARCHIVE_BIN_NO_EXECUTABLE'],
    ],
    ['nothing at all', [], ['ARCHIVE_EMPTY']],
  ])('%s', (_name, entries, codes) => {
    expect(inspectArchiveEntries(entries, { file: 'x.tar.gz' }).map((d) => d.code)).toEqual(codes);
  });

  it('names the file on every diagnostic', () => {
    const [d] = inspectArchiveEntries([file('bin/run')], { file: 'x.tar.gz' });
    expect(d).toMatchObject({ file: 'x.tar.gz', severity: 'error', line: 0 });
  });

  it('for a Windows build, wants a .exe/.bat/.cmd in bin/ and ignores exec bits', () => {
    const windows = { file: 'w.tar.gz', windows: true };
    expect(inspectArchiveEntries([file('bin/run.exe', 0o644)], windows)).toEqual([]);
    expect(inspectArchiveEntries([file('bin/run.CMD', 0o644)], windows)).toEqual([]);
    expect(inspectArchiveEntries([file('bin/run', 0o755)], windows).map((d) => [d.code, d.severity])).toEqual(
      [['ARCHIVE_WINDOWS_NO_EXECUTABLE', 'warning']],
    );
  });
});

describe('archiveDiagnostics', () => {
  it('stops at an unsupported format, naming it', () => {
    const ds = archiveDiagnostics({ format: 'zip', entries: [] }, { file: 'a.tar.gz' });
    expect(ds.map((d) => d.code)).toEqual(['ARCHIVE_FORMAT_UNSUPPORTED']);
    expect(ds[0]!.message).toContain('a zip archive');
  });
  it('reports a corrupt archive once, not its partial entries', () => {
    const ds = archiveDiagnostics(
      { format: 'gzip', entries: [dir('pkg/')], corrupt: 'the gzip stream ends early (truncated)' },
      { file: 'a.tar.gz' },
    );
    expect(ds.map((d) => d.code)).toEqual(['ARCHIVE_CORRUPT']);
  });
});

describe('resolveInside', () => {
  it.each([
    ['lib/a', 'b', 'lib/b'],
    ['lib/a', '../bin/x', 'bin/x'],
    ['lib/sub/a', '../../README', 'README'],
    ['lib/a', '../../x', undefined],
    ['a', '..', undefined],
    ['lib/a', '/etc/passwd', undefined],
    ['lib/a', 'C:\\x', undefined],
    ['lib/a', '..\\x', undefined],
  ])('%s -> %s', (name, target, expected) => {
    expect(resolveInside(name, target)).toBe(expected);
  });
});

describe('agentView', () => {
  it('puts bin/ files on PATH, lib/ on LD_LIBRARY_PATH, include/ on CPATH, lib/*.js in the JS runtime', () => {
    const view = agentView([
      dir('./bin/'),
      file('./bin/run', 0o755),
      file('bin/sub/data'),
      file('lib/a.so'),
      file('lib/js/f.js'),
      file('include/x.h'),
      file('../x'),
    ]);
    expect(view).toEqual({
      path: ['bin/run'],
      ldLibraryPath: ['lib/a.so', 'lib/js/f.js'],
      cpath: ['include/x.h'],
      javascript: ['lib/js/f.js'],
    });
  });
});

describe('isWindowsBuild', () => {
  it.each([
    ['Windows', [], true],
    ['windows', [], true],
    ['any', ["entity.system.os == 'windows'"], true],
    ['any', ['entity.system.os === "windows"'], true],
    ['linux', ["entity.system.os == 'linux'"], false],
    ['alpine', [], false],
  ])('%s %j -> %s', (platform, filters, expected) => {
    expect(isWindowsBuild(platform, filters)).toBe(expected);
  });
});
