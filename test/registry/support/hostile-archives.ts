import { createGzip, gzipSync } from 'node:zlib';

/**
 * Hostile archives built on the fly (never committed): raw ustar headers written by hand, so that a
 * header can say what tar-stream's packer refuses to write (a device, a size the data never matches)
 * and a hundred thousand entries take a fraction of a second.
 */
export interface RawEntry {
  name: string;
  /** ustar typeflag: '0' file, '1' hard link, '2' symlink, '3' char device, '5' directory, '6' fifo. */
  type?: '0' | '1' | '2' | '3' | '4' | '5' | '6';
  mode?: number;
  content?: Buffer | string;
  /** What the header declares; the content's length unless given (a bomb declares more). */
  declaredSize?: number;
  linkname?: string;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** One 512-byte ustar header. */
export function tarHeader(entry: RawEntry): Buffer {
  const header = Buffer.alloc(512);
  const content = Buffer.from(entry.content ?? '');
  header.write(entry.name, 0, 100, 'utf8');
  header.write(octal(entry.mode ?? (entry.type === '5' ? 0o755 : 0o644), 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(entry.declaredSize ?? content.length, 12), 124, 'ascii');
  header.write(octal(0, 12), 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write(entry.type ?? '0', 156, 'ascii');
  if (entry.linkname) header.write(entry.linkname, 157, 100, 'utf8');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(octal(sum, 7) + ' ', 148, 'ascii');
  return header;
}

/** A whole tar of `entries` (content padded to 512 bytes, two zero blocks at the end). */
export function rawTar(entries: Iterable<RawEntry>): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(tarHeader(entry));
    const content = Buffer.from(entry.content ?? '');
    if (content.length > 0) {
      parts.push(content, Buffer.alloc((512 - (content.length % 512)) % 512));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A valid asset (bin/ with an executable) followed by whatever `extra` adds. */
export function assetWith(extra: RawEntry[]): Buffer {
  return gzipSync(
    rawTar([
      { name: 'bin/', type: '5' },
      { name: 'bin/check', mode: 0o755, content: '#!/bin/sh\necho ok\n' },
      ...extra,
    ]),
  );
}

/**
 * `count` empty files (the 3M-entry archive): 512 bytes of tar per entry, a few bytes of gzip;
 * compressed as it is generated, so the tar never sits in memory whole.
 */
export async function entryBomb(count: number): Promise<Buffer> {
  const header = tarHeader({ name: 'bin/check', mode: 0o755 });
  const block = Buffer.alloc(1024 * 512);
  for (let i = 0; i < 1024; i++) header.copy(block, i * 512);
  const gzip = createGzip({ level: 1 });
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  gzip.write(tarHeader({ name: 'bin/', type: '5' }));
  for (let written = 0; written < count; written += 1024) {
    if (!gzip.write(block)) await new Promise((resolve) => gzip.once('drain', resolve));
  }
  gzip.end(Buffer.alloc(1024));
  await done;
  return Buffer.concat(out);
}

/** One file of `bytes` zeros: a gzip a thousandth of its unpacked size. */
export function zerosBomb(bytes: number): Buffer {
  return gzipSync(
    Buffer.concat([
      tarHeader({ name: 'bin/', type: '5' }),
      tarHeader({ name: 'bin/zeros', mode: 0o755, declaredSize: bytes }),
      Buffer.alloc(bytes),
      Buffer.alloc(1024),
    ]),
    { level: 1 },
  );
}
