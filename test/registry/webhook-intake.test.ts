import { createHmac } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_WEBHOOK_BODY, MAX_WEBHOOKS_IN_FLIGHT } from '../../registry/http/routes/triggers.js';
import { WEBHOOK_SECRET, startHarness, type Harness } from './support/harness.js';
import { rawRequest } from './support/raw-http.js';
import { waitFor } from './support/wait.js';

/**
 * Webhook intake under abuse: what can be refused without the body is refused before it is read,
 * bodies over the cap stop being read, and only a bounded number of bodies are received at once.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const hmac = (body: string) => `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
const MiB = 1024 * 1024;

interface Streamed {
  status: number;
  body: string;
  headers: string;
  /** Body bytes written before the answer arrived. */
  sentBeforeAnswer: number;
}

/**
 * Sends `headers`, then body chunks of `chunk` bytes (up to `total`) as fast as the socket takes them,
 * stopping at the first byte of the answer.
 */
function streamUntilAnswered(
  url: string,
  headers: string[],
  options: { chunk: number; total: number; chunked?: boolean; pauseAfter?: number },
): Promise<Streamed> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let answer = '';
    let sent = 0;
    let sentBeforeAnswer = -1;
    socket.on('data', (d: Buffer) => {
      if (sentBeforeAnswer === -1) sentBeforeAnswer = sent;
      answer += d.toString('utf8');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const split = answer.indexOf('\r\n\r\n');
      if (split === -1) return reject(new Error(`no answer after ${sent} bytes`));
      const head = answer.slice(0, split);
      let body = answer.slice(split + 4);
      if (/transfer-encoding: chunked/i.test(head)) body = body.split('\r\n')[1] ?? '';
      resolve({ status: Number(head.split(' ')[1]), headers: head, body, sentBeforeAnswer });
    });
    socket.write(
      [`POST /webhooks/github HTTP/1.1`, `Host: ${hostname}:${port}`, ...headers, '', ''].join('\r\n'),
    );
    const piece = Buffer.alloc(options.chunk, 0x20);
    const pump = () => {
      while (sentBeforeAnswer === -1 && !socket.destroyed && sent < options.total) {
        if (options.pauseAfter !== undefined && sent >= options.pauseAfter) return;
        sent += piece.length;
        const framed = options.chunked
          ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
          : piece;
        if (!socket.write(framed)) return void socket.once('drain', pump);
      }
    };
    pump();
  });
}

describe('webhook intake', () => {
  it('refuses an unsigned body before reading it: the answer comes while the client is still sending', async () => {
    const res = await streamUntilAnswered(
      h.url,
      [`Content-Length: ${4 * MiB}`, 'Content-Type: application/json', 'X-GitHub-Event: release'],
      { chunk: 64 * 1024, total: 4 * MiB, pauseAfter: 64 * 1024 },
    );
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ error_code: 'UNAUTHORIZED' });
    // Only the first 64 KiB were ever sent: the server did not wait for the other 4 MiB.
    expect(res.sentBeforeAnswer).toBe(64 * 1024);
  });

  it('refuses an unsigned chunked body the same way', async () => {
    const res = await streamUntilAnswered(h.url, ['Transfer-Encoding: chunked', 'X-GitHub-Event: release'], {
      chunk: 64 * 1024,
      total: 4 * MiB,
      chunked: true,
      pauseAfter: 64 * 1024,
    });
    expect(res.status).toBe(401);
    expect(res.sentBeforeAnswer).toBe(64 * 1024);
  });

  it('refuses a declared length over the cap with 413 before any body byte', async () => {
    const res = await streamUntilAnswered(
      h.url,
      [
        `Content-Length: ${MAX_WEBHOOK_BODY + 1}`,
        `X-Hub-Signature-256: ${hmac('x')}`,
        'X-GitHub-Event: release',
      ],
      { chunk: 64 * 1024, total: MAX_WEBHOOK_BODY + 1, pauseAfter: 0 },
    );
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error_code: 'PAYLOAD_TOO_LARGE' });
    expect(res.sentBeforeAnswer).toBe(0);
  });

  it('stops reading a chunked body at the cap with 413', async () => {
    const res = await streamUntilAnswered(
      h.url,
      ['Transfer-Encoding: chunked', `X-Hub-Signature-256: ${hmac('x')}`, 'X-GitHub-Event: release'],
      { chunk: 256 * 1024, total: 8 * MAX_WEBHOOK_BODY, chunked: true },
    );
    expect(res.status).toBe(413);
    // Answered once the cap was passed (plus what sat in socket buffers), not after the 8× the cap.
    expect(res.sentBeforeAnswer).toBeLessThan(3 * MAX_WEBHOOK_BODY);
  });

  it('receives at most MAX_WEBHOOKS_IN_FLIGHT bodies at once; the next get 429 with Retry-After', async () => {
    const { hostname, port } = new URL(h.url);
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < MAX_WEBHOOKS_IN_FLIGHT; i++) {
        const socket = net.connect(Number(port), hostname);
        socket.on('error', () => undefined);
        // Signed-looking, 1 MiB announced, 10 bytes sent: the body stays in flight.
        socket.write(
          [
            'POST /webhooks/github HTTP/1.1',
            `Host: ${hostname}:${port}`,
            `Content-Length: ${MiB}`,
            `X-Hub-Signature-256: ${hmac('x')}`,
            'X-GitHub-Event: release',
            '',
            '0123456789',
          ].join('\r\n'),
        );
        held.push(socket);
      }
      const body = JSON.stringify({ zen: 'Keep it logically awesome.' });
      const request = () =>
        rawRequest(h.url, {
          method: 'POST',
          target: '/webhooks/github',
          body,
          headers: [
            ['X-GitHub-Event', 'ping'],
            ['X-GitHub-Delivery', 'intake-1'],
            ['X-Hub-Signature-256', hmac(body)],
          ],
        });
      const busy = await waitFor('the intake to be full', async () => {
        const res = await request();
        return res.status === 429 && res;
      });
      expect(busy.headers['retry-after']).toBe('1');
      expect(JSON.parse(busy.body)).toMatchObject({ error_code: 'TOO_MANY_REQUESTS' });
    } finally {
      for (const socket of held) socket.destroy();
    }
    // The abandoned bodies free their places; deliveries are accepted again.
    const body = JSON.stringify({ zen: 'Design for failure.' });
    const ok = await waitFor('the intake to have room', async () => {
      const res = await rawRequest(h.url, {
        method: 'POST',
        target: '/webhooks/github',
        body,
        headers: [
          ['X-GitHub-Event', 'ping'],
          ['X-GitHub-Delivery', 'intake-2'],
          ['X-Hub-Signature-256', hmac(body)],
        ],
      });
      return res.status === 200 && res;
    });
    expect(JSON.parse(ok.body)).toEqual({ message: 'pong' });
  });
});
