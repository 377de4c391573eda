/**
 * The one idle-timeout `fetch` of both GitHub clients (the packager's and the registry's): a request is
 * abandoned when nothing moves for `ms` — while its body is sent (each piece sent counts), while it waits
 * for the answer, and, when watched, while the answer's body is read. Neutral: imports nothing of the
 * project, so `cli/`, `packager/` and `registry/` may all use it.
 */

/** The error a stalled request is aborted with (each client names its own setting in it). */
export type TimeoutError = (ms: number) => Error;

/**
 * GitHub stayed silent for a client's timeout: the request was abandoned. One class for both clients,
 * so `networkFailure` and each client's error mapping recognise it by type; `setting` names what the
 * user can raise (the registry's GITHUB_TIMEOUT).
 */
export class GitHubTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    setting?: string,
  ) {
    super(`GitHub sent nothing for ${timeoutMs / 1000} s${setting ? ` (${setting})` : ''}`);
    this.name = 'GitHubTimeoutError';
  }
}

/** An upload is sent in pieces of this size; each piece sent shows it is moving. */
const UPLOAD_PIECE = 64 * 1024;

/**
 * Aborts with `timeoutError(ms)` when `touch` was not called for `ms`. The timer never keeps the process
 * alive; firing after the request is done aborts nothing.
 */
function idleAbort(ms: number, timeoutError: TimeoutError) {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(timeoutError(ms)), ms).unref();
  };
  touch();
  return { signal: controller.signal, touch, stop: () => clearTimeout(timer) };
}

function inPieces(bytes: Uint8Array, sent: () => void): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        sent();
        if (offset >= bytes.length) return controller.close();
        const end = Math.min(offset + UPLOAD_PIECE, bytes.length);
        controller.enqueue(bytes.subarray(offset, end));
        offset = end;
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * `fetch` (for Octokit's `request.fetch`) that is abandoned when nothing moves for `ms`: a byte body is
 * sent in watched pieces, the response headers must come within `ms`, and then the body within `ms`
 * again (API answers are small JSON documents, read whole by the caller).
 */
export function idleTimeoutFetch(ms: number, timeoutError: TimeoutError): typeof fetch {
  return async (input, init) => {
    const idle = idleAbort(ms, timeoutError);
    const signal = init?.signal ? AbortSignal.any([init.signal, idle.signal]) : idle.signal;
    // Byte bodies (uploads) go in watched pieces; Octokit sets `duplex` for any body.
    const body = init?.body instanceof Uint8Array ? inPieces(init.body, idle.touch) : init?.body;
    try {
      const response = await fetch(input, { ...init, body, signal });
      idle.touch();
      return response;
    } catch (err) {
      idle.stop();
      throw err;
    }
  };
}

/**
 * A download that is abandoned when the server stays silent for `ms`: no response headers in that time,
 * or no chunk of the body while it is read. `body` is the response's body, watched; read or cancel it.
 */
export async function idleTimeoutDownload(
  url: string | URL,
  init: RequestInit,
  ms: number,
  timeoutError: TimeoutError,
): Promise<{ response: Response; body: ReadableStream<Uint8Array> | null }> {
  const idle = idleAbort(ms, timeoutError);
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
