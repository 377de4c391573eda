import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { idleTimeoutDownload } from '../../common/idle-timeout-fetch.js';
import { networkFailure } from '../../common/network-failure.js';
import { PackagerError } from '../errors.js';

export interface DownloadOptions {
  /** Abort when no byte arrived for this long (a whole-file deadline would fail big artifacts). */
  idleTimeoutMs: number;
  onBytes?: (received: number, total: number | undefined) => void;
}

/**
 * Downloads `url` into `file` (created, never overwritten) while hashing it, and keeps the file only when
 * its sha512 is `expected`: on any failure the file is removed, so nothing partial stays behind.
 */
export async function downloadVerified(
  url: string,
  expected: string,
  file: string,
  options: DownloadOptions,
): Promise<number> {
  const handle = await open(file, 'wx');
  let received = 0;
  try {
    let response: Response;
    let body: ReadableStream<Uint8Array> | null;
    try {
      ({ response, body } = await idleTimeoutDownload(
        url,
        { redirect: 'follow' },
        options.idleTimeoutMs,
        () => new Error('idle timeout'),
      ));
    } catch (err) {
      throw downloadFailed(url, networkFailure(err) ?? reason(err), err);
    }
    if (response.status !== 200 || body === null) {
      await body?.cancel();
      throw downloadFailed(url, `HTTP ${response.status}`);
    }
    const length = Number(response.headers.get('content-length'));
    const total = Number.isFinite(length) && length > 0 ? length : undefined;
    const hash = createHash('sha512');
    try {
      for await (const chunk of body) {
        hash.update(chunk);
        await handle.write(chunk);
        received += chunk.length;
        options.onBytes?.(received, total);
      }
    } catch (err) {
      throw downloadFailed(url, `${reason(err)} after ${received} bytes`, err);
    }
    const actual = hash.digest('hex');
    if (actual !== expected.toLowerCase()) {
      throw new PackagerError(
        'MIRROR_CHECKSUM_MISMATCH',
        `the artifact at ${url} has sha512 ${actual.slice(0, 16)}…, but its definition says ${expected.slice(0, 16)}…`,
        {
          hint: 'the source registry serves bytes that differ from its definition (a replaced release file?): nothing was written; tell its operator, or mirror without that version',
        },
      );
    }
    await handle.close();
    return received;
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(file, { force: true });
    throw err;
  }
}

function reason(err: unknown): string {
  if (controllerAborted(err)) return 'no data for too long';
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

function controllerAborted(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.message === 'idle timeout');
}

function downloadFailed(url: string, why: string, cause?: unknown): PackagerError {
  return new PackagerError('MIRROR_DOWNLOAD_FAILED', `cannot download ${url} (${why})`, {
    hint: 'check that the source registry (and the host its artifacts are on) can be reached, then run the mirror again: what is already mirrored is kept',
    cause,
  });
}
