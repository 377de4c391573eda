import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { clientAddress, withRateLimits, type RateLimitSettings } from './rate-limit.js';

const request = (forwarded?: string) =>
  ({
    socket: { remoteAddress: '10.0.0.9' },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  }) as unknown as IncomingMessage;

describe('clientAddress (TRUST_PROXY)', () => {
  it('ignores X-Forwarded-For unless proxies are trusted: a client cannot pick its own budget', () => {
    expect(clientAddress(request('1.2.3.4'), 0)).toBe('10.0.0.9');
  });

  it('takes the address the trusted proxies appended, not what the client wrote before it', () => {
    expect(clientAddress(request('6.6.6.6, 1.2.3.4'), 1)).toBe('1.2.3.4');
    expect(clientAddress(request('6.6.6.6, 1.2.3.4, 172.16.0.2'), 2)).toBe('1.2.3.4');
  });

  it('falls back to the first entry, then the socket, when the header is short or missing', () => {
    expect(clientAddress(request('1.2.3.4'), 3)).toBe('1.2.3.4');
    expect(clientAddress(request(), 1)).toBe('10.0.0.9');
  });
});

describe('withRateLimits without a read budget', () => {
  /** A server behind the limits whose write route refuses every credential (401), like a bad token. */
  async function serve(settings: RateLimitSettings) {
    const handler = withRateLimits(settings, { keyspace: 'unit' }, (req, res) => {
      res.writeHead(req.method === 'POST' ? 401 : 200);
      res.end();
    });
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { base: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
  }

  it('never limits reads, and still locks /metrics after failed authentications', async () => {
    const server = await serve({ reads: 0, writes: 0, authFailures: 2, trustProxy: 0 });
    try {
      for (let i = 0; i < 20; i++) {
        const read = await fetch(`${server.base}/api/v1/assets`);
        expect(read.status).toBe(200);
        expect(read.headers.get('x-ratelimit-limit')).toBeNull();
      }
      expect((await fetch(`${server.base}/metrics`)).status).toBe(200);
      for (let i = 0; i < 2; i++)
        expect((await fetch(`${server.base}/api/v1/repos`, { method: 'POST' })).status).toBe(401);
      // The last failure is counted once its answer finished.
      let metrics = 0;
      for (let i = 0; i < 500 && metrics !== 429; i++) {
        metrics = (await fetch(`${server.base}/metrics?x=1`)).status;
        if (metrics !== 429) await new Promise((r) => setTimeout(r, 20));
      }
      expect(metrics).toBe(429);
      expect((await fetch(`${server.base}/api/v1/assets`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
