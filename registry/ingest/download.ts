import { createHash } from 'node:crypto';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { RegistryError, messageOf } from '../errors.js';

/** The stream was longer than allowed; the download stopped there. */
export class ArtifactTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`larger than the limit of ${limit} bytes`);
    this.name = 'ArtifactTooLargeError';
  }
}

/** The download took longer than DOWNLOAD_DEADLINE in all (however steadily its bytes came). */
export class DownloadDeadlineError extends Error {
  constructor(readonly deadlineMs: number) {
    super(`took longer than ${deadlineMs / 1000} s in all (DOWNLOAD_DEADLINE)`);
    this.name = 'DownloadDeadlineError';
  }
}

/** The observer needs no more bytes (the listing stopped at a bound): the download stops there. */
export class ObserverStoppedError extends Error {
  constructor() {
    super('the archive listing stopped');
    this.name = 'ObserverStoppedError';
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
  /** True once no further byte matters (then the download stops with ObserverStoppedError). */
  readonly limited?: boolean;
}

export interface MeasureOptions {
  /** Past this many bytes the download stops with ArtifactTooLargeError. */
  maxBytes: number;
  /** What is downloaded, for errors: `download of FILE from OWNER/REPO`. */
  what: string;
  /** Where the bytes are kept (mirror mode), so what is hashed is exactly what is kept. */
  sink?: Writable;
  /** Reads the chunks on the way (the archive lister). */
  observer?: ChunkObserver;
  /** DOWNLOAD_DEADLINE: the download stops with DownloadDeadlineError this long after `startedAt`. */
  deadlineMs?: number;
  /** When the download began (before its request and redirects); now by default. */
  startedAt?: number;
}

/**
 * Reads a download to its end, hashing it (sha512) and stopping once it passes `maxBytes`. A body that
 * breaks off half-way is GitHub failing (GITHUB_FAILED: the job retries); a failing sink is not.
 */
export async function measureDownload(
  body: ReadableStream<Uint8Array>,
  options: MeasureOptions,
): Promise<Measured> {
  const { maxBytes, observer } = options;
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
        () => callback(observer.limited ? new ObserverStoppedError() : null, chunk),
        (err: unknown) => callback(err as Error),
      );
    },
  });
  const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const { deadlineMs } = options;
  let timer: NodeJS.Timeout | undefined;
  if (deadlineMs !== undefined) {
    // Idle timeouts miss a body that trickles a byte now and then: this bounds the whole download.
    const left = (options.startedAt ?? Date.now()) + deadlineMs - Date.now();
    if (left <= 0) {
      await body.cancel().catch(() => undefined);
      throw new DownloadDeadlineError(deadlineMs);
    }
    timer = setTimeout(() => meter.destroy(new DownloadDeadlineError(deadlineMs)), left);
  }
  try {
    await pipeline(downloaded(body, options.what), meter, options.sink ?? discard);
  } finally {
    clearTimeout(timer);
  }
  return { sha512: hash.digest('hex'), size };
}

/** The body's chunks; an error reading them (a reset connection, a cut body) becomes GITHUB_FAILED. */
async function* downloaded(body: ReadableStream<Uint8Array>, what: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of Readable.fromWeb(body as NodeReadableStream<Uint8Array>)) yield chunk as Buffer;
  } catch (err) {
    throw new RegistryError('GITHUB_FAILED', `GitHub ${what} broke off: ${messageOf(err)}`, {
      hint: 'GitHub may be down or unreachable; queued jobs retry with backoff',
      cause: err,
    });
  }
}

/** A small text file (a checksum file) read whole, within a limit. */
export async function readText(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  what: string,
  limits: Pick<MeasureOptions, 'deadlineMs' | 'startedAt'> = {},
): Promise<string> {
  const chunks: Buffer[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  await measureDownload(body, { maxBytes, what, sink: collect, ...limits });
  return Buffer.concat(chunks).toString('utf8');
}
