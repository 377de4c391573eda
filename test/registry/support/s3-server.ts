import http from 'node:http';
import type net from 'node:net';
import { pipeline } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { makeTempDir } from './databases.js';

/**
 * A real S3-compatible server for the s3 suites (s3rver, from npm) with one bucket, behind a proxy the test
 * can make fail the way a store fails: an upload cut midway, or a server-side copy refused.
 */
export interface TestS3 {
  /** The proxy's address: what the registry is given as S3_ENDPOINT. */
  endpoint: string;
  bucket: string;
  /** A client of the bucket (straight to s3rver), for what the test reads or changes behind the registry. */
  client: S3Client;
  /** Every object key written in the bucket, in order (s3rver's notifications). */
  created: string[];
  /**
   * `cut-upload`: an upload's connection is dropped after part of its body; `refuse-copy`: copies get a 500;
   * `slow-copy`: copies are answered after SLOW_COPY_MS (a store under load), so what is served meanwhile shows.
   */
  fault: 'cut-upload' | 'refuse-copy' | 'slow-copy' | undefined;
  /** How many requests the current fault broke. */
  broken: number;
  keys(): Promise<string[]>;
  read(key: string): Promise<Buffer>;
  write(key: string, body: Buffer, metadata?: Record<string, string>): Promise<void>;
  /** The settings of a registry in s3 mode on this bucket. */
  env(prefix: string): Record<string, string>;
  close(): Promise<void>;
}

/** How long a copy waits under the `slow-copy` fault. */
export const SLOW_COPY_MS = 300;

export async function startTestS3(bucket = 'bonsai-artifacts'): Promise<TestS3> {
  // The standard AWS chain reads these; s3rver's default account.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: await makeTempDir('bonsai-s3rver-'),
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = await server.run();
  const created: string[] = [];
  server.on('event', (e) => {
    for (const r of e.Records) created.push(decodeURIComponent(r.s3.object.key));
  });
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
  });

  const sockets = new Set<net.Socket>();
  const slowed = new WeakSet<http.IncomingMessage>();
  const serialized = new WeakSet<http.IncomingMessage>();
  let writes = Promise.resolve();
  const proxy = http.createServer((req, res) => {
    const copy = req.headers['x-amz-copy-source'] !== undefined;
    if (s3.fault === 'refuse-copy' && req.method === 'PUT' && copy) {
      s3.broken++;
      req.resume();
      res.writeHead(500, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0"?><Error><Code>InternalError</Code><Message>injected</Message></Error>');
      return;
    }
    if (s3.fault === 'slow-copy' && req.method === 'PUT' && copy && !slowed.has(req)) {
      s3.broken++;
      slowed.add(req);
      req.pause();
      setTimeout(() => proxy.emit('request', req, res), SLOW_COPY_MS);
      return;
    }
    // s3rver keeps keys as directories and removes a directory once a delete leaves it empty, so a write
    // into that directory at the same moment fails inside s3rver (ENOENT, uncaught, seen in CI with two
    // processes writing and deleting under one `.partial/`). A real bucket has no directories: writes and
    // deletes reach s3rver one at a time here, which is what a bucket's users cannot tell apart.
    if (req.method !== 'GET' && req.method !== 'HEAD' && !serialized.has(req)) {
      serialized.add(req);
      req.pause();
      // A turn ends when its response closes, however it ends; a turn that fails ends too, so one broken
      // request never holds the writes behind it.
      writes = writes.then(
        () =>
          new Promise<void>((done) => {
            // A client that gave up while it waited has nothing to send.
            if (res.closed) return done();
            res.once('close', () => done());
            try {
              proxy.emit('request', req, res);
            } catch {
              res.destroy();
            }
          }),
      );
      return;
    }
    const cut = s3.fault === 'cut-upload' && req.method === 'PUT' && !copy;
    const upstream = http.request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        // An answer cut midway closes the response too (pipe alone would leave it open).
        pipeline(up, res, () => undefined);
      },
    );
    upstream.on('error', () => res.destroy());
    // A client gone midway: s3rver's request goes too, so nothing of it runs beside the next turn.
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    if (!cut) {
      req.pipe(upstream);
      return;
    }
    // Part of the body reaches the store, then the connection drops: an upload failing midway.
    s3.broken++;
    const half = Math.floor(Number(req.headers['content-length'] ?? 2) / 2);
    const cutNow = (chunk: Buffer) => {
      if (upstream.destroyed) return;
      upstream.write(chunk.subarray(0, half));
      upstream.destroy();
      req.socket.destroy();
    };
    req.once('data', cutNow);
    req.once('end', () => cutNow(Buffer.alloc(0))); // an empty body is cut as well
    req.resume(); // it was paused while it waited for its turn
  });
  proxy.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;

  const s3: TestS3 = {
    endpoint,
    bucket,
    client,
    created,
    fault: undefined,
    broken: 0,
    async keys() {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (listed.Contents ?? []).map((o) => o.Key!);
    },
    async read(key) {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    },
    async write(key, body, metadata) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ...(metadata ? { Metadata: metadata } : {}),
        }),
      );
    },
    env: (prefix) => ({
      ARTIFACTS_MODE: 's3',
      S3_BUCKET: bucket,
      S3_PREFIX: prefix,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: 'true',
    }),
    async close() {
      client.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await server.close();
    },
  };
  return s3;
}
