import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { entryBomb, rawTar, zerosBomb } from '../registry/support/hostile-archives.js';
import { bonsai, initProject, tempDir } from './fixture.js';

/** `bonsai verify`, `check` and `lint` on hostile inputs: coded errors and exit codes, never a crash. */

async function file(name: string, bytes: Buffer | string): Promise<string> {
  const target = path.join(await tempDir(), name);
  await writeFile(target, bytes);
  return target;
}

const asset = (extra: Parameters<typeof rawTar>[0] = []) =>
  gzipSync(
    rawTar([
      { name: 'bin/', type: '5' },
      { name: 'bin/check', mode: 0o755, content: '#!/bin/sh\n' },
      ...extra,
    ]),
  );

describe('bonsai verify on hostile archives', () => {
  it('stops a 3M-entry archive at MAX_ARCHIVE_ENTRIES with a coded error (it used to overflow the stack)', async () => {
    const archive = await file('bomb.tar.gz', await entryBomb(3_000_000));
    const run = await bonsai(['verify', archive, '--json']);
    expect(run.code).toBe(1);
    const json = JSON.parse(run.stdout) as {
      ok: boolean;
      entries: unknown[];
      diagnostics: { code: string }[];
    };
    expect(json.ok).toBe(false);
    expect(json.diagnostics.map((d) => d.code)).toEqual(['ARCHIVE_TOO_MANY_ENTRIES']);
    expect(json.entries).toHaveLength(100_000);
  }, 60_000);

  it('takes --max-entries and --max-unpacked-size', async () => {
    const archive = await file('x.tar.gz', asset([{ name: 'lib/data', content: 'x'.repeat(200_000) }]));
    const entries = await bonsai(['verify', archive, '--max-entries', '2']);
    expect(entries.code).toBe(1);
    expect(entries.stdout).toMatch(/error ARCHIVE_TOO_MANY_ENTRIES {2}the archive holds more than 2 entries/);
    const unpacked = await bonsai(['verify', archive, '--max-unpacked-size', '100000']);
    expect(unpacked.code).toBe(1);
    expect(unpacked.stdout).toContain('error ARCHIVE_TOO_LARGE_UNPACKED');
    const enough = await bonsai(['verify', archive, '--max-entries', '3', '--max-unpacked-size', '300000']);
    expect(enough.code, enough.stdout).toBe(0);
  });

  it.each([['0'], ['-1'], ['many'], ['1.5']])('refuses --max-entries %s as a usage error', async (value) => {
    const archive = await file('x.tar.gz', asset());
    const run = await bonsai(['verify', archive, '--max-entries', value]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--max-entries must be a whole number');
  });

  it('stops a gzip bomb at the default bounds', async () => {
    const run = await bonsai(['verify', await file('z.tar.gz', zerosBomb(96 << 20))]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('error ARCHIVE_TOO_LARGE_UNPACKED');
  });

  it.each([
    [
      'a truncated gzip',
      () => asset([{ name: 'lib/r', content: 'r'.repeat(50_000) }]).subarray(0, 200),
      'ARCHIVE_CORRUPT',
    ],
    [
      'a zip named .tar.gz',
      () => Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(400)]),
      'ARCHIVE_FORMAT_UNSUPPORTED',
    ],
    ['a gzip of something else', () => gzipSync(Buffer.alloc(4096, 7)), 'ARCHIVE_CORRUPT'],
  ])('gives %s a coded error', async (_name, bytes, code) => {
    const run = await bonsai(['verify', await file('x.tar.gz', bytes())]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`error ${code}`);
  });

  it('lists each entry problem 20 times at most, then counts the rest', async () => {
    const unsafe = Array.from({ length: 3000 }, (_, i) => ({ name: `../x${i}`, content: '' }));
    const run = await bonsai(['verify', await file('x.tar.gz', asset(unsafe)), '--json']);
    const codes = (JSON.parse(run.stdout) as { diagnostics: { code: string; message: string }[] })
      .diagnostics;
    const unsafeOnes = codes.filter((d) => d.code === 'ARCHIVE_UNSAFE_PATH');
    expect(unsafeOnes).toHaveLength(21);
    expect(unsafeOnes.at(-1)!.message).toBe('and 2980 more entries like these');
  });
});

describe('bonsai check takes the same bounds', () => {
  it('fails an archive over --max-entries, and refuses a bad value', async () => {
    const { dir } = await initProject();
    expect((await bonsai(['pack', dir, '--version', '0.0.1'])).code).toBe(0);
    const ok = await bonsai(['check', dir, '--version', '0.0.1']);
    expect(ok.code, ok.stdout).toBe(0);
    const over = await bonsai(['check', dir, '--version', '0.0.1', '--max-entries', '1', '--json']);
    expect(over.code).toBe(1);
    const codes = (JSON.parse(over.stdout) as { diagnostics: { code: string }[] }).diagnostics.map(
      (d) => d.code,
    );
    expect(codes).toContain('ARCHIVE_TOO_MANY_ENTRIES');
    expect((await bonsai(['check', dir, '--version', '0.0.1', '--max-unpacked-size', 'big'])).code).toBe(2);
  });
});

describe('bonsai lint applies the bounds ingest applies', () => {
  const builds =
    'builds:\n- platform: linux\n  arch: amd64\n  asset_filename: x.tar.gz\n  sha_filename: x.txt\n';

  it('reads at most 1 MiB of /dev/zero and says it is too large', async () => {
    const run = await bonsai(['lint', '/dev/zero']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('error CONFIG_TOO_LARGE');
  });

  it.each([
    ['a 2 MiB file', builds + `# ${'x'.repeat(2 << 20)}\n`, 'CONFIG_TOO_LARGE'],
    ['a NUL byte', builds + 'description: "a\0b"\n', 'CONFIG_NOT_TEXT'],
    ['invalid UTF-8', Buffer.concat([Buffer.from(builds), Buffer.from([0xc3, 0x28])]), 'CONFIG_NOT_TEXT'],
    [
      'a 100 KB annotation',
      builds + `annotations:\n  notes: "${'x'.repeat(100_000)}"\n`,
      'ANNOTATION_VALUE_TOO_LARGE',
    ],
    ['a 100 KB label', builds + `labels:\n  notes: "${'x'.repeat(100_000)}"\n`, 'LABEL_VALUE_TOO_LARGE'],
    [
      'an alias bomb',
      builds +
        'labels:\n  a0: &a0 [x,x,x,x,x,x,x,x,x]\n' +
        Array.from(
          { length: 8 },
          (_, i) => `  a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(',')}]\n`,
        ).join(''),
      'YAML_ALIAS_BOMB',
    ],
  ])('refuses %s with a code', async (_name, text, code) => {
    const run = await bonsai(['lint', await file('bonsai.yml', text), '--json']);
    expect(run.code).toBe(1);
    const json = JSON.parse(run.stdout) as { valid: boolean; errors: { code: string }[] };
    expect(json.errors.map((e) => e.code)).toContain(code);
  });

  it('accepts an annotation just under the bound', async () => {
    const run = await bonsai([
      'lint',
      await file('bonsai.yml', builds + `annotations:\n  notes: "${'x'.repeat(60_000)}"\n`),
    ]);
    expect(run.code, run.stdout).toBe(0);
  });
});
