import type { IncomingMessage, ServerResponse } from 'node:http';
import { assetCacheGroup } from '../ingest/sync.js';
import { logRequest, requestIdFor } from './app.js';
import { decodeCached } from './cached.js';
import { isPlainTarget } from './clean-input.js';
import { CACHE_KEYS } from './cache-keys.js';
import type { HttpDeps } from './deps.js';
import { ifNoneMatchHits } from './etags.js';
import { JSON_TYPE, READ_CACHE_CONTROL } from './respond.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface FastRoute {
  pattern: RegExp;
  /** The same template as the Koa route, for metrics. */
  template: string;
  key(params: string[]): string;
  /** Counts as a download (order=most_downloaded). */
  download: boolean;
}

const SEGMENT = '([^/]+)';
const ROUTES: readonly FastRoute[] = [
  {
    pattern: new RegExp(`^/api/v1/assets/${SEGMENT}/${SEGMENT}/${SEGMENT}/release_asset_builds$`),
    template: '/api/v1/assets/:namespace/:name/:version/release_asset_builds',
    key: ([, , version]) => CACHE_KEYS.builds(version!),
    download: true,
  },
  {
    pattern: new RegExp(
      `^/api/v1/assets/${SEGMENT}/${SEGMENT}/${SEGMENT}/${SEGMENT}/${SEGMENT}/release_asset$`,
    ),
    template: '/api/v1/assets/:namespace/:name/:version/:platform/:arch/release_asset',
    key: ([, , version, platform, arch]) => CACHE_KEYS.build(version!, platform!, arch!),
    download: false,
  },
  {
    pattern: new RegExp(`^/api/v1/assets/${SEGMENT}/${SEGMENT}$`),
    template: '/api/v1/assets/:namespace/:name',
    key: () => CACHE_KEYS.asset(),
    download: false,
  },
];

/** A cache entry decoded once: reused while the cache hands back the same entry. */
interface Prepared {
  entry: string;
  etag: string;
  assetId: number;
  body: string;
  length: number;
}

/**
 * Answers cache hits of the JSON read routes straight from the cache, before Koa: the same entries, the
 * same headers and status codes as the routes in routes/ (which serve every miss, error and other
 * route). A definition read is the hot path sensuctl and agents hit, and Koa's per-request machinery
 * would cost most of its time. The cache stays the only source: each request reads its entry there;
 * only the decoding of an unchanged entry is reused.
 */
export function withFastPath(deps: HttpDeps, fallback: Handler, maxPrepared = 10_000): Handler {
  const prepared = new Map<string, Prepared>();
  const prepare = (id: string, entry: string): Prepared => {
    const known = prepared.get(id);
    if (known?.entry === entry) return known;
    const { etag, assetId, body } = decodeCached(entry);
    const fresh = { entry, etag, assetId, body, length: Buffer.byteLength(body) };
    if (prepared.size >= maxPrepared) prepared.clear();
    prepared.set(id, fresh);
    return fresh;
  };

  const serve = async (
    req: IncomingMessage,
    res: ServerResponse,
    route: FastRoute,
    path: string,
    raw: string[],
  ) => {
    const started = process.hrtime.bigint();
    // isPlainTarget let only unencoded printable ASCII through: the segments are the parameters.
    const params = raw;
    const group = assetCacheGroup(params[0]!, params[1]!);
    const key = route.key(params);
    const entry = await deps.cache.get(group, key);
    if (entry === undefined) return fallback(req, res);
    const hit = prepare(`${group}\u0000${key}`, entry);
    const requestId = requestIdFor(req.headers['x-request-id'] as string | undefined);
    if (route.download) deps.downloads.count(hit.assetId);
    if (ifNoneMatchHits(req.headers['if-none-match'], hit.etag)) {
      res.writeHead(304, ['X-Request-Id', requestId, 'ETag', hit.etag, 'Cache-Control', READ_CACHE_CONTROL]);
      res.end();
    } else {
      res.writeHead(200, [
        'X-Request-Id',
        requestId,
        'ETag',
        hit.etag,
        'Cache-Control',
        READ_CACHE_CONTROL,
        'Content-Type',
        JSON_TYPE,
        'Content-Length',
        String(hit.length),
      ]);
      res.end(hit.body);
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    logRequest(deps, { requestId, method: 'GET', path, status: res.statusCode, ms });
    deps.metrics.request(route.template, 'GET', res.statusCode, ms / 1e3);
  };

  return (req, res) => {
    // Anything percent-encoded or with other bytes goes to Koa, which checks it (INVALID_DATA) first.
    if (req.method === 'GET' && req.url && isPlainTarget(req.url)) {
      const query = req.url.indexOf('?');
      const path = query === -1 ? req.url : req.url.slice(0, query);
      for (const route of ROUTES) {
        const match = route.pattern.exec(path);
        if (match) {
          serve(req, res, route, path, match.slice(1)).catch(() => {
            if (!res.headersSent) fallback(req, res);
          });
          return;
        }
      }
    }
    fallback(req, res);
  };
}
