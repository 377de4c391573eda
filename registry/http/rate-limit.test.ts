import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress } from './rate-limit.js';

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
