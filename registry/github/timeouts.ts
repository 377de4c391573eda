/** GitHub sent nothing for GITHUB_TIMEOUT: the request was abandoned (its job retries with backoff). */
export class GitHubTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`GitHub sent nothing for ${timeoutMs / 1000} s (GITHUB_TIMEOUT)`);
    this.name = 'GitHubTimeoutError';
  }
}

/**
 * Aborts with a GitHubTimeoutError when `touch` was not called for `ms`. The timer never keeps the
 * process alive; firing after the request is done aborts nothing.
 */
function idleAbort(ms: number): { signal: AbortSignal; touch(): void; stop(): void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new GitHubTimeoutError(ms)), ms).unref();
  };
  touch();
  return { signal: controller.signal, touch, stop: () => clearTimeout(timer) };
}

/**
 * `fetch` for Octokit (its `request.fetch`): the response headers must come within `ms`, and then the
 * body within `ms` again (API answers are small JSON documents, read whole by Octokit).
 */
export function fetchWithTimeout(ms: number): typeof fetch {
  return async (input, init) => {
    const idle = idleAbort(ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, idle.signal]) : idle.signal;
    try {
      const response = await fetch(input, { ...init, signal });
      idle.touch();
      return response;
    } catch (err) {
      idle.stop();
      throw err;
    }
  };
}

/**
 * A download that is abandoned when GitHub stays silent for `ms`: no response headers in that time, or
 * no chunk of the body while it is read. `body` is the response's body, watched; read or cancel it.
 */
export async function fetchWatched(
  url: string | URL,
  init: RequestInit,
  ms: number,
): Promise<{ response: Response; body: ReadableStream<Uint8Array> | null }> {
  const idle = idleAbort(ms);
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: idle.signal });
  } catch (err) {
    idle.stop();
    throw err;
  }
  if (!response.body) {
    idle.stop();
    return { response, body: null };
  }
  idle.touch();
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        idle.touch();
        out.enqueue(chunk);
      },
      flush() {
        idle.stop();
      },
    }),
  );
  return { response, body };
}
