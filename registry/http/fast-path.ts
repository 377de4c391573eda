import type { IncomingMessage, ServerResponse } from 'node:http';
import { logRequest } from '../logger.js';
import { requestIdFor } from './app.js';
import { decodeCached, decodeCachedBytes, encodeCached } from './cached.js';
import { isPlainTarget } from './clean-input.js';
import type { HttpDeps } from './deps.js';
import { READ_ROUTES } from './read-table.js';
import { templatePattern, type ReadRoute, type RouteQuery } from './reads.js';
import { renderedAnswer } from './respond.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface FastRoute {
  route: ReadRoute;
  pattern: RegExp;
  names: string[];
}

const FAST_ROUTES: readonly FastRoute[] = READ_ROUTES.filter((route) => route.fast).map((route) => ({
  route,
  ...templatePattern(route.template),
}));

/** A response ready to send: its body as bytes. */
interface Ready {
  etag: string;
  assetId: number;
  body: Buffer;
}

/** A string entry prepared once, reused while the cache hands back that same entry. */
interface Prepared extends Ready {
  entry: string;
}

/** The query as Koa reads it (koa/lib/search-params.js): a repeated key becomes an array. */
function parseQuery(search: string): RouteQuery {
  const params = new URLSearchParams(search);
  const query: RouteQuery = {};
  for (const key of params.keys()) {
    const values = params.getAll(key);
    query[key] = values.length <= 1 ? values[0] : values;
  }
  return query;
}

/**
 * Answers the cached read routes (read-table.ts) before Koa, hits and misses alike: the same entries,
 * headers and status codes as their Koa routes, which answer everything else (404s, refused queries,
 * failures, other routes). A definition read is the hot path sensuctl and agents hit, and Koa's
 * per-request machinery would cost most of its time. A miss is the route's one query, stored in the
 * cache as the Koa route would store it.
 */
export function withFastPath(deps: HttpDeps, fallback: Handler, maxPrepared = 10_000): Handler {
  const prepared = new Map<string, Prepared>();
  const prepare = (id: string, entry: string): Prepared => {
    const known = prepared.get(id);
    if (known?.entry === entry) return known;
    const { etag, assetId, body } = decodeCached(entry);
    const fresh = { entry, etag, assetId, body: Buffer.from(body) };
    if (prepared.size >= maxPrepared) prepared.clear();
    prepared.set(id, fresh);
    return fresh;
  };

  // The first level in front of Redis hands back the same Buffer for each hit: decoded once. Weak, so an
  // entry that cache dropped is not kept alive here.
  const decodedBytes = new WeakMap<Buffer, Ready>();
  const decodeBytes = (entry: Buffer): Ready => {
    const ready = decodeCachedBytes(entry);
    decodedBytes.set(entry, ready);
    return ready;
  };

  /** An entry as the cache hands it back (bytes from the first level or Redis, a string in memory). */
  const readyOf = (group: string, key: string, entry: Buffer | string): Ready => {
    if (typeof entry === 'string') {
      // wrapBytes hands back a loaded (missed) entry as a string: it is sent once, not kept here.
      return deps.cache.wrapBytes
        ? decodeCachedBytes(Buffer.from(entry))
        : prepare(`${group}\u0000${key}`, entry);
    }
    return decodedBytes.get(entry) ?? decodeBytes(entry);
  };

  /** The response from the cache, else from the store (cached on the way); undefined: nothing stored. */
  const lookUp = async (
    route: ReadRoute,
    params: Record<string, string>,
    query: RouteQuery,
    group: string,
    key: string,
  ): Promise<Ready | undefined> => {
    const load = async () => {
      const loaded = await route.load(deps, params, query);
      return loaded && encodeCached(loaded);
    };
    const entry = deps.cache.wrapBytes
      ? await deps.cache.wrapBytes(group, key, load)
      : await deps.cache.wrap(group, key, load);
    return entry === undefined ? undefined : readyOf(group, key, entry);
  };

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    route: ReadRoute,
    path: string,
    ready: Ready,
    started: bigint,
  ) => {
    const requestId = requestIdFor(req.headers['x-request-id'] as string | undefined);
    if (route.download) deps.downloads.count(ready.assetId);
    const answer = renderedAnswer(ready.etag, req.headers['if-none-match']);
    const headers = ['X-Request-Id', requestId];
    for (const [name, value] of answer.headers) headers.push(name, value);
    if (answer.status === 304) {
      res.writeHead(304, headers);
      res.end();
    } else {
      headers.push('Content-Type', route.type, 'Content-Length', String(ready.body.length));
      res.writeHead(200, headers);
      res.end(ready.body);
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    logRequest(deps.logger, { requestId, method: 'GET', path, status: res.statusCode, ms });
    deps.metrics.request(route.template, 'GET', res.statusCode, ms / 1e3);
  };

  /**
   * A hit this process holds is answered in this turn (no promise: most reads of a warm registry); the
   * rest look further (Redis, then the store) and Koa answers what is not there.
   */
  const serve = (
    req: IncomingMessage,
    res: ServerResponse,
    fast: FastRoute,
    path: string,
    values: string[],
    search: string,
  ) => {
    const started = process.hrtime.bigint();
    const { route, names } = fast;
    // isPlainTarget let only unencoded printable ASCII through: the segments are the parameters.
    const params: Record<string, string> = {};
    names.forEach((name, i) => (params[name] = values[i]!));
    const query = search === '' ? {} : parseQuery(search);
    const { group, key } = route.entry(params, query);
    const held = deps.cache.peek?.(group, key);
    if (held !== undefined) return send(req, res, route, path, readyOf(group, key, held), started);
    lookUp(route, params, query, group, key)
      .then((ready) =>
        ready === undefined ? fallback(req, res) : send(req, res, route, path, ready, started),
      )
      .catch(() => {
        if (!res.headersSent) fallback(req, res);
      });
  };

  return (req, res) => {
    // Anything percent-encoded or with other bytes goes to Koa, which checks it (INVALID_DATA) first.
    if (req.method === 'GET' && req.url && isPlainTarget(req.url)) {
      const mark = req.url.indexOf('?');
      const path = mark === -1 ? req.url : req.url.slice(0, mark);
      for (const fast of FAST_ROUTES) {
        const match = fast.pattern.exec(path);
        if (match) {
          const search = mark === -1 ? '' : req.url.slice(mark + 1);
          // A refused query, a failure or nothing stored: Koa answers (and logs) as it always does.
          try {
            serve(req, res, fast, path, match.slice(1), search);
          } catch {
            if (!res.headersSent) fallback(req, res);
          }
          return;
        }
      }
    }
    fallback(req, res);
  };
}
