import type { Duplex } from 'node:stream';
import { errorBody } from './respond.js';

/**
 * Requests Node's HTTP parser refuses before any handler runs (a NUL or control character in a header,
 * a malformed request line, headers too large) get the same JSON error shape as every other answer,
 * instead of Node's bare `400 Bad Request`.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || (err.code === 'ECONNRESET' && socket.destroyed)) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const status = tooLarge ? 431 : timedOut ? 408 : 400;
  const reason = tooLarge ? 'Request Header Fields Too Large' : timedOut ? 'Request Timeout' : 'Bad Request';
  const message = tooLarge
    ? 'the request headers are too large'
    : timedOut
      ? 'the request was not received in time'
      : 'the request is malformed: a header or the request line holds invalid characters';
  const body = errorBody('INVALID_DATA', [message]);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}
