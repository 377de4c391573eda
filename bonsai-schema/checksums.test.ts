import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChecksumFormatError, formatChecksums, parseChecksums, selectChecksum } from './checksums.js';

const sha = (content: string) => createHash('sha512').update(content).digest('hex');
const A = sha('a');
const B = sha('b');
const ASSET = 'sensu-check_1.2.3_linux_amd64.tar.gz';
const OTHER = 'sensu-check_1.2.3_linux_arm64.tar.gz';

describe('parseChecksums: the forms of COMPAT §2', () => {
  it.each([
    ['goreleaser', `${A}  ${ASSET}\n`, ASSET],
    ['dot-slash', `${A}  ./${ASSET}\n`, `./${ASSET}`],
    ['binary', `${A} *${ASSET}\n`, ASSET],
    ['bsd', `SHA512 (${ASSET}) = ${A}\n`, ASSET],
    ['bsd', `SHA512 (./${ASSET}) = ${A}\n`, `./${ASSET}`],
    ['bare', `${A}\n`, undefined],
    ['bare', A, undefined], // no final newline
    ['goreleaser', `${A.toUpperCase()}  ${ASSET}\n`, ASSET], // digests are lowercased
    ['goreleaser', `${A}  ${ASSET}  \r\n`, ASSET], // CRLF and trailing blanks
    ['goreleaser', `\uFEFF  ${A}\t${ASSET}\n`, ASSET], // BOM, leading blanks, a tab: Bonsai squishes
    ['goreleaser', `${A}  *${ASSET}\n`, `*${ASSET}`], // two spaces: text mode, the * is part of the name
  ])('%s form: %j', (form, text, name) => {
    const parsed = parseChecksums(text, 'sums.txt');
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.entries).toEqual([{ sha512: A, name, line: 1, form }]);
  });

  it('numbers lines and ignores lines that do not start with a hex digit, as Bonsai does', () => {
    const text = [
      '# checksums',
      '',
      `${A}  ${ASSET}`,
      '-----BEGIN PGP SIGNATURE-----',
      `${B}  ${OTHER}`,
    ].join('\n');
    expect(parseChecksums(text).entries.map((e) => [e.name, e.line])).toEqual([
      [ASSET, 3],
      [OTHER, 5],
    ]);
  });

  it('skips prose that starts with a hex letter or digit, which Bonsai never selects', () => {
    const text = [
      'Built by goreleaser',
      'Date: 2024-01-01',
      '2024-01-01 release',
      `${A}  ${ASSET}`,
      'Checksums end',
    ].join('\n');
    const parsed = parseChecksums(text, 'SHA512SUMS');
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.entries.map((e) => [e.name, e.line])).toEqual([[ASSET, 4]]);
    expect(selectChecksum(parsed, ASSET)).toEqual({ sha512: A, line: 4 });
  });

  it('accepts a name listed twice with the same digest', () => {
    const parsed = parseChecksums(`${A}  ${ASSET}\n${A}  ./${ASSET}\n`);
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.entries).toHaveLength(2);
  });
});

describe('parseChecksums: bad input', () => {
  it.each([
    [
      'a sha256 digest',
      `${A.slice(0, 64)}  ${ASSET}`,
      'CHECKSUM_BAD_DIGEST',
      'the digest on line 1 has 64 hex digits; a sha512 digest has 128 (64 is the length of a sha256 digest',
    ],
    [
      'a truncated digest',
      `${A.slice(0, 127)}  ${ASSET}`,
      'CHECKSUM_BAD_DIGEST',
      'has 127 hex digits; a sha512 digest has 128',
    ],
    ['a digest too long', `${A}0  ${ASSET}`, 'CHECKSUM_BAD_DIGEST', 'has 129 hex digits'],
    [
      'a digest with a non-hex letter',
      `${A.slice(0, 127)}g  ${ASSET}`,
      'CHECKSUM_MALFORMED_LINE',
      'is not a hexadecimal digest',
    ],
    [
      'a digest-length word that is not hex',
      `${A.slice(0, 60)}zzzz  ${ASSET}`,
      'CHECKSUM_MALFORMED_LINE',
      'which is not a hexadecimal digest',
    ],
    [
      'another algorithm in BSD form',
      `SHA256 (${ASSET}) = ${A.slice(0, 64)}`,
      'CHECKSUM_BAD_DIGEST',
      'holds a SHA256 checksum; Bonsai needs sha512',
    ],
    ['BLAKE2b in BSD form', `BLAKE2b (${ASSET}) = ${A}`, 'CHECKSUM_BAD_DIGEST', 'holds a BLAKE2b checksum'],
    [
      'a BSD line whose digest is not hex',
      `SHA512 (${ASSET}) = ${'z'.repeat(128)}`,
      'CHECKSUM_BAD_DIGEST',
      'is not hexadecimal',
    ],
    [
      'a binary marker with no name',
      `${A} *`,
      'CHECKSUM_MALFORMED_LINE',
      'line 1 has no file name after its digest',
    ],
    ['an empty file', '', 'CHECKSUM_EMPTY', 'sums.txt is empty'],
    ['blank lines only', '\r\n  \n', 'CHECKSUM_EMPTY', 'sums.txt is empty'],
    [
      'an HTML error page',
      '<html><body>Not Found</body></html>\n',
      'CHECKSUM_EMPTY',
      'sums.txt has no checksum line',
    ],
  ])('%s', (_, text, code, message) => {
    const parsed = parseChecksums(text, 'sums.txt');
    expect(parsed.entries).toEqual([]);
    expect(parsed.diagnostics).toHaveLength(1);
    expect(parsed.diagnostics[0]).toMatchObject({ code, severity: 'error', file: 'sums.txt' });
    expect(parsed.diagnostics[0]?.message).toContain(message);
  });

  it('says where a bad line is, and keeps the good ones', () => {
    const parsed = parseChecksums(`${A}  ${ASSET}\n   ${A.slice(0, 64)}  ${OTHER}\n`, 'sums.txt');
    expect(parsed.entries.map((e) => e.name)).toEqual([ASSET]);
    expect(parsed.diagnostics).toEqual([
      expect.objectContaining({ code: 'CHECKSUM_BAD_DIGEST', line: 2, column: 4, file: 'sums.txt' }),
    ]);
  });

  it('reports a name listed with two digests, naming both lines', () => {
    const parsed = parseChecksums(`${A}  ${ASSET}\n${B}  ${OTHER}\n${B}  ./${ASSET}\n`, 'sums.txt');
    expect(parsed.diagnostics).toEqual([
      expect.objectContaining({
        code: 'CHECKSUM_CONFLICT',
        line: 3,
        file: 'sums.txt',
        message: expect.stringContaining(`${ASSET} is listed with different digests on lines 1 and 3`),
      }),
    ]);
  });

  it('leaves `file` out when no file name is given', () => {
    expect(parseChecksums('').diagnostics[0]).not.toHaveProperty('file');
    expect(parseChecksums('').diagnostics[0]?.message).toContain('the checksum file is empty');
  });
});

describe('selectChecksum (Bonsai extracts_shas.rb)', () => {
  const select = (text: string, asset = ASSET) => selectChecksum(parseChecksums(text, 'sums.txt'), asset);

  it.each([
    ['the only entry, whatever name it carries', `${B}  something-else.tar.gz\n`, B, 1],
    ['a bare digest', `# sha512\n${B}\n`, B, 2],
    ['the entry whose name matches', `${B}  ${OTHER}\n${A}  ${ASSET}\n`, A, 2],
    ['a ./ name by its base name', `${B}  ./${OTHER}\n${A}  ./${ASSET}\n`, A, 2],
    ['a dist/ name by its base name', `${B}  dist/${OTHER}\n${A}  dist/${ASSET}\n`, A, 2],
    ['a binary entry', `${B} *${OTHER}\n${A} *${ASSET}\n`, A, 2],
    ['a BSD entry', `SHA512 (${OTHER}) = ${B}\nSHA512 (${ASSET}) = ${A}\n`, A, 2],
    ['the same digest listed twice', `${A}  ${ASSET}\n${B}  ${OTHER}\n${A}  ./${ASSET}\n`, A, 1],
  ])('picks %s', (_, text, sha512, line) => {
    expect(select(text)).toEqual({ sha512, line });
  });

  it.each([
    [
      'a file with no digest',
      'nothing here\n',
      ASSET,
      'CHECKSUM_NOT_FOUND',
      0,
      `cannot extract the SHA for ${ASSET}: sums.txt has no sha512 checksum line`,
    ],
    [
      'a name that is not listed',
      `${B}  ${OTHER}\n${B}  a.tar.gz\n${B}  b.tar.gz\n${B}  c.tar.gz\n`,
      ASSET,
      'CHECKSUM_NOT_FOUND',
      0,
      `cannot extract the SHA for ${ASSET}: no line of sums.txt names it (it lists ${OTHER}, a.tar.gz, b.tar.gz, and 1 more)`,
    ],
    [
      'only bare digests',
      `${A}\n${B}\n`,
      ASSET,
      'CHECKSUM_NOT_FOUND',
      0,
      `cannot extract the SHA for ${ASSET}: no line of sums.txt names it`,
    ],
    [
      'a name listed with two digests',
      `${A}  ${ASSET}\n${B}  ./${ASSET}\n`,
      ASSET,
      'CHECKSUM_CONFLICT',
      2,
      `cannot extract the SHA for ${ASSET}: lines 1 and 2 of sums.txt give different digests`,
    ],
    [
      'a v-prefixed asset name when the file has none',
      `${A}  sensu-check_1.2.3_linux_amd64.tar.gz\n${B}  ${OTHER}\n`,
      'sensu-check_v1.2.3_linux_amd64.tar.gz',
      'CHECKSUM_NOT_FOUND',
      1,
      'cannot extract the SHA for sensu-check_v1.2.3_linux_amd64.tar.gz: sums.txt lists ' +
        'sensu-check_1.2.3_linux_amd64.tar.gz (line 1), the same name without the "v" before the version',
    ],
    [
      'an asset name without the v the file has',
      `${B}  ${OTHER}\n${A}  ./sensu-check_v1.2.3_linux_amd64.tar.gz\n`,
      ASSET,
      'CHECKSUM_NOT_FOUND',
      2,
      'sums.txt lists ./sensu-check_v1.2.3_linux_amd64.tar.gz (line 2), the same name with a "v" before the version',
    ],
    [
      'a name in another case',
      `${A}  Sensu-Check_1.2.3_Linux_amd64.tar.gz\n${B}  ${OTHER}\n`,
      ASSET,
      'CHECKSUM_NOT_FOUND',
      1,
      'lists Sensu-Check_1.2.3_Linux_amd64.tar.gz (line 1), which differs only in letter case',
    ],
  ])('fails on %s', (_, text, asset, code, line, message) => {
    const result = select(text, asset);
    expect(result).toEqual({ diagnostic: expect.objectContaining({ code, line, file: 'sums.txt' }) });
    expect('diagnostic' in result && result.diagnostic.message).toContain(message);
  });
});

describe('formatChecksums', () => {
  it('writes the goreleaser form: byte-order sorted, lowercase, two spaces, final newline', () => {
    const text = formatChecksums([
      { name: 'b_linux.tar.gz', sha512: B.toUpperCase() },
      { name: 'a_linux.tar.gz', sha512: A },
      { name: 'B_linux.tar.gz', sha512: A },
      { name: 'a_linux.tar.gz', sha512: A.toUpperCase() }, // the same file twice collapses
      { name: '\u{1F600}.tar.gz', sha512: B }, // UTF-8 F0 9F..., but UTF-16 D83D...
      { name: '\uFF21.tar.gz', sha512: B }, // UTF-8 EF BC A1: sorts first by bytes, last by UTF-16
    ]);
    expect(text).toBe(
      `${A}  B_linux.tar.gz\n${A}  a_linux.tar.gz\n${B}  b_linux.tar.gz\n` +
        `${B}  \uFF21.tar.gz\n${B}  \u{1F600}.tar.gz\n`,
    );
  });

  it('writes nothing for no files, and round-trips through parseChecksums', () => {
    expect(formatChecksums([])).toBe('');
    const entries = [
      { name: OTHER, sha512: B },
      { name: ASSET, sha512: A },
    ];
    expect(parseChecksums(formatChecksums(entries)).entries).toEqual([
      { sha512: A, name: ASSET, line: 1, form: 'goreleaser' },
      { sha512: B, name: OTHER, line: 2, form: 'goreleaser' },
    ]);
  });

  it.each([
    ['an empty name', { name: '', sha512: A }, 'CHECKSUM_MALFORMED_LINE'],
    ['a name with a newline', { name: 'a\nb', sha512: A }, 'CHECKSUM_MALFORMED_LINE'],
    ['a sha256 digest', { name: 'a', sha512: A.slice(0, 64) }, 'CHECKSUM_BAD_DIGEST'],
    ['a non-hex digest', { name: 'a', sha512: 'x'.repeat(128) }, 'CHECKSUM_BAD_DIGEST'],
  ])('refuses %s', (_, entry, code) => {
    expect(() => formatChecksums([entry])).toThrow(ChecksumFormatError);
    expect(() => formatChecksums([entry])).toThrow(expect.objectContaining({ code }));
  });

  it('refuses one name with two digests', () => {
    expect(() =>
      formatChecksums([
        { name: ASSET, sha512: A },
        { name: ASSET, sha512: B },
      ]),
    ).toThrow(expect.objectContaining({ code: 'CHECKSUM_CONFLICT' }));
  });
});

// The real tool (coreutils): what we write must pass `sha512sum -c`, and what it writes must parse.
describe('against GNU sha512sum', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bonsai-checksums-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'zeta_1.0.0_linux_amd64.tar.gz': 'zeta',
    'alpha_1.0.0_linux_amd64.tar.gz': 'alpha',
    'Alpha_1.0.0_windows_amd64.tar.gz': 'Alpha',
    'back\\slash.tar.gz': 'odd name',
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const expected = Object.entries(files).map(([name, content]) => ({ name, sha512: sha(content) }));

  it('accepts formatChecksums output with -c --strict', () => {
    writeFileSync(join(dir, 'sums.txt'), formatChecksums(expected));
    const check = spawnSync('sha512sum', ['-c', '--strict', 'sums.txt'], { cwd: dir, encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    expect(check.stdout.trim().split('\n').sort()).toEqual(
      Object.keys(files)
        .map((n) => `${n}: OK`)
        .sort(),
    );
  });

  it('fails -c when a file changes, so the test above can fail', () => {
    writeFileSync(
      join(dir, 'sums.txt'),
      formatChecksums([{ name: 'alpha_1.0.0_linux_amd64.tar.gz', sha512: B }]),
    );
    const check = spawnSync('sha512sum', ['-c', 'sums.txt'], { cwd: dir, encoding: 'utf8' });
    expect(check.status).not.toBe(0);
  });

  it.each([
    ['dot-slash', ['./alpha_1.0.0_linux_amd64.tar.gz', './zeta_1.0.0_linux_amd64.tar.gz']],
    ['binary', ['-b', 'alpha_1.0.0_linux_amd64.tar.gz', 'zeta_1.0.0_linux_amd64.tar.gz']],
    ['bsd', ['--tag', 'alpha_1.0.0_linux_amd64.tar.gz', 'zeta_1.0.0_linux_amd64.tar.gz']],
    ['goreleaser', ['alpha_1.0.0_linux_amd64.tar.gz', 'zeta_1.0.0_linux_amd64.tar.gz']],
  ])('parses sha512sum output in the %s form and selects each file', (form, args) => {
    const output = execFileSync('sha512sum', args, { cwd: dir, encoding: 'utf8' });
    const parsed = parseChecksums(output, 'sums.txt');
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.entries.map((e) => e.form)).toEqual([form, form]);
    for (const name of ['alpha_1.0.0_linux_amd64.tar.gz', 'zeta_1.0.0_linux_amd64.tar.gz']) {
      expect(selectChecksum(parsed, name)).toMatchObject({ sha512: sha(files[name] ?? '') });
    }
  });
});
