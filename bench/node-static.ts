/**
 * A bare `node:http` server answering every request with one file's bytes and the headers the registry's
 * fast path sends (bench/serve.ts): what one Node process can serve at best, with no registry code on the
 * way. The bench shows it beside the registry's rows so their ratios to nginx read against Node's own.
 *
 *   tsx bench/node-static.ts FILE PORT
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const [file, port] = process.argv.slice(2);
if (!file || !port) throw new Error('usage: tsx bench/node-static.ts FILE PORT');
const body = readFileSync(file);
const etag = '"0123456789abcdef0123456789abcdef"';
createServer((req, res) => {
  res.writeHead(200, [
    'X-Request-Id',
    randomUUID(),
    'ETag',
    etag,
    'Cache-Control',
    'public, max-age=60',
    'Content-Type',
    'application/json; charset=utf-8',
    'Content-Length',
    String(body.length),
  ]);
  res.end(body);
}).listen(Number(port), '127.0.0.1');
