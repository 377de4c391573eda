import type { Router } from '@koa/router';
import { notFound } from '../errors.js';
import { readThrough, type CachedResponse } from './cached.js';
import type { HttpDeps } from './deps.js';
import { sendRendered } from './respond.js';

export type RouteParams = Readonly<Record<string, string>>;
export type RouteQuery = Record<string, string | string[] | undefined>;

/**
 * A cached read route, written once: the Koa route (routes/) and the fast path (fast-path.ts) are both
 * made from it, so both map a request to the same cache entry, load the same render on a miss and send
 * the same headers.
 */
export interface ReadRoute {
  /** The path as Koa matches it, also the metrics label; each `:name` segment is a parameter. */
  template: string;
  /** Content-Type of the render. */
  type: string;
  /** Whether a read counts as a download of the asset (order=most_downloaded). */
  download: boolean;
  /** Whether the fast path answers it; false where Koa must write headers (attachments). */
  fast: boolean;
  /** The request's cache entry; throws a RegistryError for a request the route refuses. */
  entry(params: RouteParams, query: RouteQuery): { group: string; key: string };
  /** The stored render (a cache miss: one query where the route allows); undefined answers 404. */
  load(deps: HttpDeps, params: RouteParams, query: RouteQuery): Promise<CachedResponse | undefined>;
}

/** The Koa route of a read: cache, then store; 404 when there is nothing. */
export function serveRead(router: Router, deps: HttpDeps, route: ReadRoute): void {
  router.get(route.template, async (ctx) => {
    const params = ctx.params as RouteParams;
    const query = ctx.query as RouteQuery;
    const { group, key } = route.entry(params, query);
    const response = await readThrough(deps.cache, group, key, () => route.load(deps, params, query));
    if (!response) throw notFound();
    // A HEAD transfers no definition (a probe, a link checker): not a download. The fast path takes GETs only.
    if (route.download && ctx.method === 'GET') deps.downloads.count(response.assetId);
    if (response.filename !== undefined) ctx.attachment(response.filename, { type: 'attachment' });
    sendRendered(ctx, response, route.type);
  });
}

/** The template as a regular expression over a plain (unencoded) path, and its parameter names. */
export function templatePattern(template: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), names };
}
