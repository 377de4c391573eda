import type { GitHub } from '../github/port.js';

/** Rejects with the signal's reason as soon as it aborts; the work itself is left to end on its own. */
function raced<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** A download that stops (and closes its connection) when the signal aborts. */
function abortableBody(body: ReadableStream<Uint8Array>, signal: AbortSignal): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const stop = () => void reader.cancel(signal.reason).catch(() => undefined);
  signal.addEventListener('abort', stop, { once: true });
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await raced(reader.read(), signal);
        if (done) {
          signal.removeEventListener('abort', stop);
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (err) {
        signal.removeEventListener('abort', stop);
        controller.error(err);
      }
    },
    cancel(reason) {
      signal.removeEventListener('abort', stop);
      return reader.cancel(reason);
    },
  });
}

/**
 * The GitHub port for one job: every call, and every download in progress, stops with the signal's
 * reason when the job must end (its deadline, a lost lease, a shutdown), so a slow release cannot keep a
 * job, or its slot in the worker, busy.
 */
export function abortableGitHub(github: GitHub, signal: AbortSignal): GitHub {
  return {
    apiUrl: github.apiUrl,
    getRepository: (owner, repo) => raced(github.getRepository(owner, repo), signal),
    listReleases: (owner, repo, etags) => raced(github.listReleases(owner, repo, etags), signal),
    listTagRefs: (owner, repo) => raced(github.listTagRefs(owner, repo), signal),
    commitOfTagObject: (owner, repo, sha) => raced(github.commitOfTagObject(owner, repo, sha), signal),
    listRootFiles: (owner, repo, ref) => raced(github.listRootFiles(owner, repo, ref), signal),
    readFile: (owner, repo, path, ref, maxBytes) =>
      raced(github.readFile(owner, repo, path, ref, maxBytes), signal),
    downloadReleaseFile: async (owner, repo, file) =>
      abortableBody(await raced(github.downloadReleaseFile(owner, repo, file), signal), signal),
  };
}
