import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { GitHubEmulator } from './emulator.js';

/** Octokit logs failed requests; the tests assert on them instead. */
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** The plain client, as a caller without retries would use it. */
export function octokit(emulator: GitHubEmulator, token?: string) {
  return new Octokit({ baseUrl: emulator.apiUrl, log: quiet, ...(token ? { auth: token } : {}) });
}

export interface LimitCall {
  kind: 'secondary' | 'primary';
  retryAfter: number;
  retryCount: number;
}

const ResilientOctokit = Octokit.plugin(retry, throttling);

/**
 * The client a real tool builds: retries (plugin-retry) and rate-limit handling (plugin-throttling). The
 * waits are scaled from seconds to milliseconds so the tests stay quick; what GitHub asked for is in
 * `limits`. A secondary limit is retried once; a primary one is not (it lasts until the window resets).
 */
export function resilientOctokit(emulator: GitHubEmulator, token?: string) {
  const limits: LimitCall[] = [];
  const onLimit =
    (kind: LimitCall['kind']) => (retryAfter: number, _options: unknown, _o: unknown, retryCount: number) => {
      limits.push({ kind, retryAfter, retryCount });
      return kind === 'secondary' && retryCount < 1;
    };
  const client = new ResilientOctokit({
    baseUrl: emulator.apiUrl,
    log: quiet,
    ...(token ? { auth: token } : {}),
    retry: { retryAfterBaseValue: 1 },
    throttle: {
      retryAfterBaseValue: 1,
      onSecondaryRateLimit: onLimit('secondary'),
      onRateLimit: onLimit('primary'),
    },
  });
  return { client, limits };
}

export interface ReceivedHook {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A small webhook receiver: records what it gets and answers `status` (200 unless changed). */
export async function startReceiver() {
  const received: ReceivedHook[] = [];
  const receiver = { received, status: 200, url: '', close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(receiver.status, { 'content-type': 'text/plain' }).end('thanks');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}

/** The status of a rejected Octokit call and GitHub's error body. */
export async function failure(
  call: Promise<unknown>,
): Promise<{ status: number; data: unknown; headers: Record<string, string> }> {
  try {
    await call;
  } catch (error) {
    const e = error as { status?: number; response?: { data?: unknown; headers?: Record<string, string> } };
    return { status: e.status ?? 0, data: e.response?.data, headers: e.response?.headers ?? {} };
  }
  throw new Error('expected the request to fail, and it succeeded');
}
