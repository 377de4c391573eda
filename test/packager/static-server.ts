import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';

export interface StaticServer {
  url: string;
  /** Every path asked for, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A plain static file server, as nginx or `python3 -m http.server` behave by default: a folder asked for
 * without its slash is redirected to it, a folder with its slash serves its index.html, anything else 404.
 */
export async function serveStatic(root: string): Promise<StaticServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(pathname);
    const file = path.join(root, path.normalize(pathname));
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    stat(file)
      .then(async (info) => {
        if (info.isDirectory()) {
          if (!pathname.endsWith('/')) {
            res.writeHead(301, { location: pathname + '/' }).end();
            return;
          }
          const index = path.join(file, 'index.html');
          const indexInfo = await stat(index);
          res.writeHead(200, { 'content-type': 'text/html', 'content-length': indexInfo.size });
          createReadStream(index).pipe(res);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': info.size });
        createReadStream(file).pipe(res);
      })
      .catch(() => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
