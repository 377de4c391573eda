import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ArtifactTooLargeError, DownloadDeadlineError, measureDownload, readText } from './download.js';

const WHAT = 'download of x.tar.gz from acme/x';

/** A response body: these chunks, then (when given) a network failure instead of the end. */
function body(chunks: string[], failure?: Error): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next < chunks.length) controller.enqueue(Buffer.from(chunks[next++]!));
      else if (failure) controller.error(failure);
      else controller.close();
    },
  });
}

const sha512 = (text: string) => createHash('sha512').update(text).digest('hex');

describe('measureDownload', () => {
  it('hashes and counts every byte, and hands each chunk to the observer and the sink', async () => {
    const seen: string[] = [];
    const kept: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        kept.push(chunk.toString());
        callback();
      },
    });
    const measured = await measureDownload(body(['ab', 'cd', 'e']), {
      maxBytes: 5,
      what: WHAT,
      sink,
      observer: { write: async (chunk) => void seen.push(chunk.toString()) },
    });
    expect(measured).toEqual({ sha512: sha512('abcde'), size: 5 });
    expect(seen.join('')).toBe('abcde');
    expect(kept.join('')).toBe('abcde');
  });

  it('stops past the limit', async () => {
    const reading = measureDownload(body(['abc', 'def']), { maxBytes: 5, what: WHAT });
    await expect(reading).rejects.toBeInstanceOf(ArtifactTooLargeError);
    await expect(reading).rejects.toThrow('larger than the limit of 5 bytes');
  });

  it('calls a body that breaks off half-way a GitHub failure (the job retries)', async () => {
    const reading = measureDownload(body(['abc'], new TypeError('terminated')), {
      maxBytes: 100,
      what: WHAT,
    });
    await expect(reading).rejects.toMatchObject({
      code: 'GITHUB_FAILED',
      message: `GitHub ${WHAT} broke off: terminated`,
    });
  });

  it('leaves a failing sink its own error: the disk is not GitHub', async () => {
    const sink = new Writable({ write: (_chunk, _encoding, callback) => callback(new Error('ENOSPC')) });
    const reading = measureDownload(body(['abc']), { maxBytes: 100, what: WHAT, sink });
    await expect(reading).rejects.toThrow('ENOSPC');
    await expect(reading).rejects.not.toMatchObject({ code: 'GITHUB_FAILED' });
  });
});

describe('readText', () => {
  it('reads a small file whole, and refuses one past the limit', async () => {
    expect(await readText(body(['a  x\n', 'b  y\n']), 100, WHAT)).toBe('a  x\nb  y\n');
    await expect(readText(body(['0123456789']), 9, WHAT)).rejects.toBeInstanceOf(ArtifactTooLargeError);
  });
});

describe('DOWNLOAD_DEADLINE', () => {
  it('abandons a body that keeps trickling, however steadily, once the deadline passes', async () => {
    let timer: NodeJS.Timeout | undefined;
    const trickle = new ReadableStream<Uint8Array>({
      start(controller) {
        timer = setInterval(() => controller.enqueue(Buffer.from('x')), 20);
      },
      cancel() {
        clearInterval(timer);
      },
    });
    const started = Date.now();
    await expect(
      measureDownload(trickle, { maxBytes: 1 << 20, what: WHAT, deadlineMs: 300 }),
    ).rejects.toBeInstanceOf(DownloadDeadlineError);
    clearInterval(timer);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('counts the time spent before the body (the request and its redirects)', async () => {
    await expect(
      measureDownload(body(['a', 'b']), {
        maxBytes: 10,
        what: WHAT,
        deadlineMs: 1_000,
        startedAt: Date.now() - 2_000,
      }),
    ).rejects.toBeInstanceOf(DownloadDeadlineError);
  });

  it('lets a download that ends in time through', async () => {
    const measured = await measureDownload(body(['a', 'b']), { maxBytes: 10, what: WHAT, deadlineMs: 5_000 });
    expect(measured).toEqual({ sha512: sha512('ab'), size: 2 });
  });
});
