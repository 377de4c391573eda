import { createHash } from 'node:crypto';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

/** The stream was longer than allowed; the download stopped there. */
export class ArtifactTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`larger than the limit of ${limit} bytes`);
    this.name = 'ArtifactTooLargeError';
  }
}

export interface Measured {
  /** Lowercase hex. */
  sha512: string;
  size: number;
}

/** Something that reads the chunks as they pass (the archive lister). */
export interface ChunkObserver {
  write(chunk: Buffer): Promise<void>;
}

/**
 * Reads a download to its end, hashing it (sha512) and stopping once it passes `maxBytes`. The bytes
 * also go to `sink` when given (mirror mode), so what is hashed is exactly what is kept, and to
 * `observer` (which lists the archive's entries on the way).
 */
export async function measureDownload(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  sink?: Writable,
  observer?: ChunkObserver,
): Promise<Measured> {
  const hash = createHash('sha512');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) {
        callback(new ArtifactTooLargeError(maxBytes));
        return;
      }
      hash.update(chunk);
      if (!observer) {
        callback(null, chunk);
        return;
      }
      observer.write(chunk).then(
        () => callback(null, chunk),
        (err: unknown) => callback(err as Error),
      );
    },
  });
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  await pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), meter, sink ?? discard);
  return { sha512: hash.digest('hex'), size };
}

/** A small text file (a checksum file) read whole, within a limit. */
export async function readText(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await measureDownload(body, maxBytes, collect);
  return Buffer.concat(chunks).toString('utf8');
}
