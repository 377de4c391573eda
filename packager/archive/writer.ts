import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import { TarArchive, type EntryData } from 'archiver';
import type { TreeEntry } from './tree.js';

export interface ArchiveWriteOptions {
  /** The mtime of every entry (SOURCE_DATE_EPOCH, or a constant): mtimes on disk never leak in. */
  mtime: Date;
  /** Called as file bytes are read, with the running total (for a progress line). */
  onBytesRead?: (total: number) => void;
}

export interface WrittenArchive {
  /** Bytes written. */
  size: number;
  /** Lowercase hex sha512 of the bytes written, computed as they were written. */
  sha512: string;
}

/** gzip level of `gzip -6`, the default of GNU gzip and goreleaser. */
const GZIP_LEVEL = 6;
/** Large buffers: fewer, bigger reads and zlib calls (see bench/pack.ts). */
const READ_CHUNK = 1 << 20;
const ZLIB_CHUNK = 256 << 10;
/** What zlib is given at once: small writes are joined up to this size. */
const ZLIB_BATCH = 1 << 20;

/** RFC 1952's OS byte for Unix; pinned so an archive made on macOS or Windows has the same bytes. */
const GZIP_OS_UNIX = 3;

/**
 * Writes `entries` (already sorted and checked, see collectTree) to `destination` as a reproducible
 * tar.gz: entries appended one by one in the given order, a fixed mtime, the modes given, uid/gid 0 and
 * no owner names, a gzip header without mtime and with a fixed OS byte. Files are streamed, never read
 * whole, and the sha512 is computed from the bytes on their way to disk.
 */
export async function writeTarGz(
  entries: readonly TreeEntry[],
  destination: string,
  options: ArchiveWriteOptions,
): Promise<WrittenArchive> {
  // gzip here rather than archiver's own (the same zlib stream): tar's 512-byte headers and paddings
  // reach zlib in ZLIB_BATCH pieces, not one thread-pool round trip each. Deflate's output does not
  // depend on how its input is split, so the bytes are those archiver's gzip option gives.
  const archive = new TarArchive({ highWaterMark: READ_CHUNK });
  const gzip = createGzip({
    level: GZIP_LEVEL,
    chunkSize: ZLIB_CHUNK,
    strategy: zlibConstants.Z_DEFAULT_STRATEGY,
  });
  const digest = new DigestingPassThrough();
  const written = pipeline(
    archive,
    new Coalescing(ZLIB_BATCH),
    gzip,
    digest,
    createWriteStream(destination, { highWaterMark: READ_CHUNK }),
  );
  // If writing fails, stop feeding entries; the pipeline's rejection is the error reported.
  let failed: unknown;
  written.catch((err: unknown) => {
    failed = err;
  });
  try {
    let bytesRead = 0;
    const onRead = (n: number) => {
      bytesRead += n;
      options.onBytesRead?.(bytesRead);
    };
    const prefetch = new SmallFilePrefetch(entries);
    for (let i = 0; i < entries.length; i++) {
      if (failed !== undefined) break;
      const entry = entries[i]!;
      const content = await prefetch.take(i);
      if (content) onRead(content.length);
      await appendEntry(archive, entry, options.mtime, content, onRead);
    }
    if (failed === undefined) await archive.finalize();
  } catch (err) {
    archive.destroy(err instanceof Error ? err : new Error(String(err)));
  }
  await written;
  return { size: digest.size, sha512: digest.hex() };
}

/** Appends one entry and resolves once archiver has written it (so files are opened one at a time). */
function appendEntry(
  archive: TarArchive,
  entry: TreeEntry,
  mtime: Date,
  content: Buffer | undefined,
  onRead: (bytes: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      archive.off('error', fail);
      resolve();
    };
    const fail = (err: Error) => {
      archive.off('entry', done);
      reject(err);
    };
    archive.once('entry', done);
    archive.once('error', fail);
    const common = { date: mtime, mode: entry.mode };
    switch (entry.kind) {
      case 'directory':
        archive.append(Buffer.alloc(0), { ...common, name: `${entry.name}/`, type: 'directory' });
        return;
      case 'symlink':
        // archiver's own symlink() sets no date (tar-stream then stamps "now"), so append it as data.
        archive.append(Buffer.alloc(0), {
          ...common,
          name: entry.name,
          type: 'symlink',
          linkname: entry.target,
        } as EntryData);
        return;
      case 'file': {
        if (content) {
          archive.append(content, { ...common, name: entry.name });
          return;
        }
        const source = createReadStream(entry.path, { highWaterMark: READ_CHUNK });
        // pipe() does not forward a read error; without this the archive would wait forever.
        source.once('error', fail);
        // Appended once open: a file that cannot be opened fails before archiver queues its entry
        // (a queued entry would reach the destroyed tar stream and throw outside of this function).
        source.once('ready', () => {
          source.on('data', (chunk) => onRead(chunk.length));
          // With `stats`, archiver streams the file with the size from lstat instead of buffering it;
          // a file that changes size meanwhile fails the entry ("Size mismatch").
          archive.append(source, { ...common, name: entry.name, stats: entry.stats });
        });
        return;
      }
    }
  });
}

/** Files up to this size are read whole, ahead of the writer; larger ones are streamed. */
const SMALL_FILE = 1 << 20;
/** How far ahead small files are read: enough to hide open/read/close latency, little memory. */
const PREFETCH_FILES = 64;
const PREFETCH_BYTES = 16 << 20;

/**
 * Reads the small files that come next while earlier entries are being compressed, so that a tree of
 * thousands of small files keeps zlib busy instead of waiting on one open/read/close at a time.
 */
class SmallFilePrefetch {
  private readonly reads = new Map<number, Promise<Buffer>>();
  private next = 0;
  private bytesAhead = 0;

  constructor(private readonly entries: readonly TreeEntry[]) {}

  /** The content of entry `index` when it is a small file (read ahead), else undefined. */
  async take(index: number): Promise<Buffer | undefined> {
    if (this.next <= index) this.next = index;
    this.fill(index);
    const read = this.reads.get(index);
    if (!read) return undefined;
    this.reads.delete(index);
    const entry = this.entries[index]!;
    if (entry.kind === 'file') this.bytesAhead -= entry.stats.size;
    const content = await read;
    if (entry.kind === 'file' && content.length !== entry.stats.size) {
      throw new Error(`${entry.path} changed size while being packed`);
    }
    return content;
  }

  private fill(index: number): void {
    while (
      this.next < this.entries.length &&
      this.next - index < PREFETCH_FILES &&
      (this.bytesAhead < PREFETCH_BYTES || this.next === index)
    ) {
      const entry = this.entries[this.next]!;
      if (entry.kind === 'file' && entry.stats.size <= SMALL_FILE) {
        const read = readFile(entry.path);
        // Rejections surface in take(); this only keeps an early failure from being "unhandled".
        read.catch(() => undefined);
        this.reads.set(this.next, read);
        this.bytesAhead += entry.stats.size;
      }
      this.next++;
    }
  }
}

/** Joins small chunks into pieces of about `size` bytes (order and bytes unchanged). */
class Coalescing extends Transform {
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly size: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.parts.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes < this.size) return callback();
    callback(null, this.joined());
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.bytes > 0 ? this.joined() : undefined);
  }

  private joined(): Buffer {
    const joined = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    return joined;
  }
}

/**
 * Passes bytes through unchanged except the gzip header's OS byte, and hashes and counts them.
 * Node's zlib already writes mtime 0 and no file name; this asserts it rather than trusting it.
 */
class DigestingPassThrough extends Transform {
  private readonly hash = createHash('sha512');
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.size < 10) {
      const header = this.size;
      for (let i = 0; i < chunk.length && header + i < 10; i++) {
        const at = header + i;
        if (at === 3 && chunk[i] !== 0)
          return callback(new Error('gzip header carries flags (a name or comment)'));
        if (at >= 4 && at <= 7 && chunk[i] !== 0) return callback(new Error('gzip header carries an mtime'));
        if (at === 9) chunk[i] = GZIP_OS_UNIX;
      }
    }
    this.size += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  hex(): string {
    return this.hash.digest('hex');
  }
}
