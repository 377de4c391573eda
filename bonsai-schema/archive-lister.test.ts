import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { openedGunzips as gunzips } from '../test/gunzip-recorder.js';
import { ArchiveLister } from './archive-lister.js';

// Every gunzip the code under test opens is recorded, to check that none is left holding its zlib handle.
vi.mock('node:zlib', async (original) =>
  (await import('../test/gunzip-recorder.js')).recordingZlib(await original()),
);
beforeEach(() => {
  gunzips.length = 0;
});

interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink';
  mode?: number;
  content?: string;
  linkname?: string;
}

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) {
    const header = { name: e.name, type: e.type ?? 'file', mode: e.mode ?? 0o644 };
    if (e.type === undefined || e.type === 'file') pack.entry(header, e.content ?? '');
    else pack.entry(e.linkname === undefined ? header : { ...header, linkname: e.linkname });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const ASSET: Entry[] = [
  { name: 'bin/', type: 'directory', mode: 0o755 },
  { name: 'bin/check', mode: 0o755, content: '#!/bin/sh\necho ok\n' },
  { name: 'lib/x.js', content: 'x'.repeat(70_000) },
  { name: 'bin/run', type: 'symlink', linkname: 'check', mode: 0o777 },
];

/** Feeds `bytes` in chunks of `size`, as a file read or a download would. */
async function list(bytes: Buffer, size: number) {
  const lister = new ArchiveLister();
  for (let at = 0; at < bytes.length; at += size) await lister.write(bytes.subarray(at, at + size));
  return lister.end();
}

describe('ArchiveLister', () => {
  it.each([1, 100, 4096, 1 << 20])('lists a gzipped tar fed in chunks of %i bytes', async (size) => {
    const content = await list(gzipSync(await tarOf(ASSET)), size);
    expect(content).toEqual({
      format: 'gzip',
      entries: [
        { name: 'bin/', type: 'directory', mode: 0o755, size: 0, linkname: null },
        { name: 'bin/check', type: 'file', mode: 0o755, size: 18, linkname: null },
        { name: 'lib/x.js', type: 'file', mode: 0o644, size: 70_000, linkname: null },
        { name: 'bin/run', type: 'symlink', mode: 0o777, size: 0, linkname: 'check' },
      ],
    });
  });

  it('lists a plain tar', async () => {
    const content = await list(await tarOf(ASSET), 1000);
    expect(content.format).toBe('tar');
    expect(content.entries.map((e) => e.name)).toEqual(['bin/', 'bin/check', 'lib/x.js', 'bin/run']);
    expect(content.corrupt).toBeUndefined();
  });

  it.each([
    ['a zip', Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(400)]), 'zip'],
    ['text', Buffer.from('not an archive at all\n'.repeat(20)), 'unknown'],
    ['an empty file', Buffer.alloc(0), 'unknown'],
  ])('reads only the format of %s', async (_label, bytes, format) => {
    expect(await list(bytes, 64)).toEqual({ format, entries: [] });
  });

  it('lists a gzipped tar shorter than the sniffed head', async () => {
    const bytes = gzipSync(await tarOf([{ name: 'bin/x', mode: 0o755 }]));
    expect(bytes.length).toBeLessThan(262);
    expect((await list(bytes, 10)).entries.map((e) => e.name)).toEqual(['bin/x']);
  });

  it.each([
    ['a truncated gzip', async () => gzipSync(await tarOf(ASSET)).subarray(0, 300), 'gzip stream ends early'],
    ['a gzip of something else', async () => gzipSync(Buffer.alloc(5000, 'x')), 'gzip data is not a tar'],
    ['a truncated tar', async () => (await tarOf(ASSET)).subarray(0, 2000), 'tar ends early'],
  ])('says why %s cannot be read, keeping the entries before the damage', async (_label, bytes, why) => {
    const content = await list(await bytes(), 512);
    expect(content.corrupt).toContain(why);
  });

  it('keeps taking bytes after the damage without parsing them', async () => {
    const lister = new ArchiveLister();
    await lister.write(gzipSync(Buffer.alloc(5000, 'x')));
    for (let i = 0; i < 100; i++) await lister.write(Buffer.alloc(64 << 10, i));
    expect((await lister.end()).corrupt).toBe('the gzip data is not a tar archive');
  });

  describe('frees its zlib stream whatever happens', () => {
    it('at the end of a good archive', async () => {
      await list(gzipSync(await tarOf(ASSET)), 4096);
      expect(gunzips.map((g) => g.destroyed)).toEqual([true]);
    });

    it('when the tar inside a good gzip is corrupt', async () => {
      const lister = new ArchiveLister();
      // A gzip that stays valid while its content stops being a tar: only the tar parser fails.
      await lister.write(gzipSync(Buffer.alloc(200_000, 'x')).subarray(0, 2000));
      expect((await lister.end()).corrupt).toBe('the gzip data is not a tar archive');
      expect(gunzips.map((g) => g.destroyed)).toEqual([true]);
    });

    it('when the file stops half-way and the caller gives up on it', async () => {
      const bytes = gzipSync(await tarOf([{ name: 'lib/x', content: randomBytes(4000).toString('hex') }]));
      const lister = new ArchiveLister();
      await lister.write(bytes.subarray(0, bytes.length / 2));
      lister.destroy();
      expect(gunzips.map((g) => g.destroyed)).toEqual([true]);
      await lister.write(bytes.subarray(bytes.length / 2));
      await expect(lister.end()).rejects.toThrow('destroyed');
    });
  });
});

describe('ArchiveLister bounds', () => {
  const emptyFiles = (n: number): Entry[] =>
    Array.from({ length: n }, (_, i) => ({ name: `lib/f${i}`, content: '' }));

  it('stops at the entry bound, keeps only the entries before it, and frees its parsers', async () => {
    const lister = new ArchiveLister({ maxEntries: 10 });
    const bytes = gzipSync(await tarOf(emptyFiles(50)));
    for (let at = 0; at < bytes.length; at += 512) await lister.write(bytes.subarray(at, at + 512));
    const content = await lister.end();
    expect(lister.limited).toBe(true);
    expect(content.limit).toEqual({
      code: 'ARCHIVE_TOO_MANY_ENTRIES',
      message: 'the archive holds more than 10 entries (MAX_ARCHIVE_ENTRIES)',
    });
    expect(content.entries).toHaveLength(10);
    expect(gunzips.map((g) => g.destroyed)).toEqual([true]);
  });

  it('lists exactly the bound', async () => {
    const content = await (
      await feed(new ArchiveLister({ maxEntries: 50 }), gzipSync(await tarOf(emptyFiles(50))))
    ).end();
    expect(content.limit).toBeUndefined();
    expect(content.entries).toHaveLength(50);
  });

  it('stops at the unpacked bound, counting what the headers declare', async () => {
    const tar = await tarOf([{ name: 'lib/big', content: 'x'.repeat(200_000) }]);
    for (const bytes of [tar, gzipSync(tar)]) {
      const content = await (await feed(new ArchiveLister({ maxUnpackedSize: 100_000 }), bytes)).end();
      expect(content.limit?.code).toBe('ARCHIVE_TOO_LARGE_UNPACKED');
      expect(content.entries).toEqual([]);
    }
  });

  it('stops a gzip that inflates far more than any asset (the ratio guard), before the size bound', async () => {
    const zeros = gzipSync(await tarOf([{ name: 'lib/zeros', content: '\0'.repeat(80 << 20) }]), {
      level: 1,
    });
    const content = await (await feed(new ArchiveLister(), zeros)).end();
    expect(content.limit?.code).toBe('ARCHIVE_TOO_LARGE_UNPACKED');
    expect(content.limit?.message).toMatch(/inflates more than 200 times its size/);
  });

  it('lets random (incompressible) data of the same size through', async () => {
    const bytes = gzipSync(
      await tarOf([{ name: 'bin/x', content: randomBytes(1 << 20).toString('latin1') }]),
    );
    const content = await (await feed(new ArchiveLister({ maxUnpackedSize: 4 << 20 }), bytes)).end();
    expect(content.limit).toBeUndefined();
    expect(content.entries.map((e) => e.name)).toEqual(['bin/x']);
  });
});

async function feed(lister: ArchiveLister, bytes: Buffer): Promise<ArchiveLister> {
  for (let at = 0; at < bytes.length; at += 64 << 10) await lister.write(bytes.subarray(at, at + (64 << 10)));
  return lister;
}
