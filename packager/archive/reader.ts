import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import {
  ARCHIVE_SNIFF_BYTES,
  sniffArchiveFormat,
  type ArchiveEntryInfo,
  type ArchiveFormat,
} from '../../bonsai-schema/archive-rules.js';

export interface ArchiveReading {
  format: ArchiveFormat;
  /** Bytes in the file. */
  size: number;
  /** Lowercase hex sha512 of the whole file (computed even when the content cannot be parsed). */
  sha512: string;
  /** The tar's entries in archive order; empty when the format is not one the agent reads. */
  entries: ArchiveEntryInfo[];
  /** Why the content could not be read as a tar (a truncated gzip, a gzip of something else...). */
  corrupt?: string;
}

const READ_CHUNK = 1 << 20;

/**
 * Reads an archive as the agent would, in one pass over the file: the format from its first bytes,
 * the sha512 of every byte, and the tar's entry headers (contents are hashed, never kept).
 */
export async function readArchive(file: string): Promise<ArchiveReading> {
  const format = sniffArchiveFormat(await readHead(file));
  const hash = createHash('sha512');
  let size = 0;
  const source = createReadStream(file, { highWaterMark: READ_CHUNK });
  source.on('data', (chunk) => {
    size += chunk.length;
    hash.update(chunk);
  });
  const ended = new Promise<void>((resolve, reject) => {
    source.once('end', resolve);
    source.once('error', reject);
  });
  const entries: ArchiveEntryInfo[] = [];
  let corrupt: string | undefined;
  if (format === 'gzip' || format === 'tar') {
    try {
      await listTar(source, format === 'gzip', entries);
    } catch (err) {
      corrupt = describe(err, format, entries);
      // Keep hashing to the end: a digest of a damaged file is still what check compares.
      source.resume();
    }
  } else {
    source.resume();
  }
  await ended;
  const reading: ArchiveReading = { format, size, sha512: hash.digest('hex'), entries };
  if (corrupt !== undefined) reading.corrupt = corrupt;
  return reading;
}

async function readHead(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(ARCHIVE_SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Which stage failed decides the message: the gzip layer, or the tar inside it. */
class StageError extends Error {
  constructor(
    readonly stage: 'gzip' | 'tar',
    readonly original: unknown,
  ) {
    super(original instanceof Error ? original.message : String(original));
  }
}

function listTar(source: Readable, gzipped: boolean, entries: ArchiveEntryInfo[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    let settled = false;
    const fail = (stage: 'gzip' | 'tar') => (err: unknown) => {
      if (settled) return;
      settled = true;
      source.unpipe();
      reject(new StageError(stage, err));
    };
    extract.on('entry', (header, stream, next) => {
      entries.push({
        name: header.name,
        type: header.type ?? 'file',
        mode: header.mode ?? 0,
        size: header.size ?? 0,
        linkname: header.linkname ?? null,
      });
      stream.on('end', () => next());
      stream.on('error', fail('tar'));
      stream.resume();
    });
    extract.on('finish', () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    extract.on('error', fail('tar'));
    if (gzipped) {
      const gunzip = createGunzip({ chunkSize: 256 << 10 });
      gunzip.on('error', fail('gzip'));
      // tar-stream's extract is a streamx Writable: Node's pipe() drives it, its types differ.
      gunzip.pipe(extract as unknown as Writable);
      source.pipe(gunzip);
    } else {
      source.pipe(extract as unknown as Writable);
    }
  });
}

function describe(err: unknown, format: ArchiveFormat, entries: readonly ArchiveEntryInfo[]): string {
  if (!(err instanceof StageError)) return err instanceof Error ? err.message : String(err);
  if (err.stage === 'gzip') {
    return /unexpected end/i.test(err.message)
      ? 'the gzip stream ends early (truncated)'
      : `gzip: ${err.message}`;
  }
  const inside = format === 'gzip' ? 'the gzip data' : 'the file';
  if (/invalid tar header/i.test(err.message) || entries.length === 0)
    return `${inside} is not a tar archive`;
  if (/unexpected end/i.test(err.message)) return 'the tar ends early (truncated)';
  return `tar: ${err.message}`;
}
