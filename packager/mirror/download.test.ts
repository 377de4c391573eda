import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadVerified } from './download.js';

const BYTES = Buffer.from('artifact bytes '.repeat(1000));
const SHA512 = createHash('sha512').update(BYTES).digest('hex');

let server: Server;
let base: string;
let dir: string;
const stalled: ServerResponse[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bonsai-download-'));
  server = createServer((req, res) => {
    if (req.url === '/whole') return res.end(BYTES);
    // Headers and half the body, then silence.
    if (req.url === '/stalls-in-body') {
      res.writeHead(200, { 'Content-Length': String(BYTES.length) });
      res.write(BYTES.subarray(0, BYTES.length / 2));
    }
    // Not even the headers.
    stalled.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of stalled) res.destroy();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('downloadVerified', () => {
  it('keeps a file whose sha512 matches', async () => {
    const file = path.join(dir, 'whole');
    expect(await downloadVerified(`${base}/whole`, SHA512, file, { idleTimeoutMs: 5_000 })).toBe(
      BYTES.length,
    );
    expect(await readFile(file)).toEqual(BYTES);
  });

  it.each(['/stalls-in-body', '/no-headers'])(
    'gives up on a server that stays silent (%s), leaving no file',
    async (route) => {
      const file = path.join(dir, route.slice(1));
      await expect(
        downloadVerified(`${base}${route}`, SHA512, file, { idleTimeoutMs: 300 }),
      ).rejects.toMatchObject({
        code: 'MIRROR_DOWNLOAD_FAILED',
        message: expect.stringContaining('no data for too long'),
      });
      expect(existsSync(file)).toBe(false);
    },
  );
});
