import type { Router } from '@koa/router';
import type { Context, Next } from 'koa';
import {
  assetPageUrl,
  otherSpelling,
  parseVersion,
  resolveVersion,
  sortVersions,
} from '../../bonsai-schema/index.js';
import { isRegistryError } from '../errors.js';
import { buildUrl } from '../ingest/render.js';
import { DOWNLOADS_LIST_CACHE_GROUP, LIST_CACHE_GROUP, assetCacheGroup } from '../cache/names.js';
import { findAsset, type AssetOrder } from '../store/assets.js';
import { loadVersionDocs } from '../store/version-docs.js';
import { listVersions, loadServedVersions } from '../store/versions.js';
import { readThrough, type CachedResponse } from '../http/cached.js';
import type { HttpDeps } from '../http/deps.js';
import { strongEtag } from '../http/etags.js';
import { freshPage } from '../http/fresh.js';
import { sendRendered } from '../http/respond.js';
import { atomFeed } from './atom.js';
import { assetPage, type VersionEntry } from './pages/asset.js';
import { errorPage, homePage, notFoundPage } from './pages/home.js';
import { listPage } from './pages/list.js';
import {
  PER_PAGE,
  loadCounts,
  loadFacets,
  recentVersions,
  searchAssets,
  type ListFilters,
} from './queries.js';
import { STATIC_FILES } from './static.js';

export const HTML_TYPE = 'text/html; charset=utf-8';
const ATOM_TYPE = 'application/atom+xml; charset=utf-8';

/**
 * No inline script or style, nothing from other origins but README images; forms post only here. The
 * pages need no JavaScript; the one script (copy buttons) is served from here.
 */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** A browser asking for a page: `text/html` named and preferred to JSON (curl's `*\/*` is not). */
export function wantsHtml(ctx: Context): boolean {
  return (
    /text\/html|application\/xhtml\+xml/i.test(ctx.get('Accept')) &&
    ctx.accepts('application/json', 'text/html') === 'text/html'
  );
}

function securityHeaders(ctx: Context): void {
  ctx.set('Content-Security-Policy', CSP);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'strict-origin-when-cross-origin');
}

function sendPage(ctx: Context, page: CachedResponse, type = HTML_TYPE): void {
  securityHeaders(ctx);
  sendRendered(ctx, page, type);
}

/** A page for people: not an API path, and a browser asking for HTML. */
export function isForPeople(ctx: Context): boolean {
  return !ctx.path.startsWith('/api/') && wantsHtml(ctx);
}

export function sendBadRequestPage(ctx: Context, base: string, message: string): void {
  ctx.status = 400;
  securityHeaders(ctx);
  ctx.set('Cache-Control', 'no-store');
  ctx.type = HTML_TYPE;
  ctx.body = errorPage(base, 'Bad address', `This address cannot be read: ${message}.`).value;
}

export function sendNotFoundPage(ctx: Context, base: string, what: string): void {
  ctx.status = 404;
  securityHeaders(ctx);
  ctx.set('Cache-Control', 'no-store');
  ctx.type = HTML_TYPE;
  ctx.body = notFoundPage(base, what).value;
}

const rendered = (body: string, assetId = 0): CachedResponse => ({ body, etag: strongEtag(body), assetId });

/** Lone surrogates and NUL cannot reach Postgres (json and text refuse them): they are dropped. */
function clean(value: string, max: number): string {
  return value
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '')
    .replaceAll('\u0000', '')
    .trim()
    .slice(0, max);
}

/** A path segment that can name something stored; undefined for one that cannot (answered 404). */
function segment(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0 || value.length > 256) return undefined;
  return clean(value, 256) === value ? value : undefined;
}

type Query = Record<string, string | string[] | undefined>;

/** `key[]=a&key[]=b` (Bonsai's form) or `key=a`; at most 20 distinct values. */
function many(query: Query, key: string): string[] {
  const raw = [query[`${key}[]`], query[key]].flat().filter((v): v is string => typeof v === 'string');
  const seen = new Map<string, string>();
  for (const v of raw.map((r) => clean(r, 100)).filter(Boolean))
    if (!seen.has(v.toLowerCase())) seen.set(v.toLowerCase(), v);
  return [...seen.values()].slice(0, 20);
}

function one(query: Query, key: string): string {
  const value = query[key];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : '';
}

const ORDERS: readonly AssetOrder[] = ['name', 'recently_updated', 'recently_added', 'most_downloaded'];
const MAX_PAGE = 100_000;

/** Any query string gives a page: unknown values are ignored, never an error. */
export function parseListFilters(query: Query): ListFilters {
  const page = one(query, 'page');
  const order = one(query, 'order');
  return {
    search: clean(one(query, 'q'), 200),
    tiers: many(query, 'tiers'),
    platforms: many(query, 'platforms'),
    archs: many(query, 'archs'),
    tags: many(query, 'tags'),
    order: ORDERS.find((o) => o === order) ?? 'name',
    page: /^\d{1,6}$/.test(page) ? Math.min(Math.max(1, Number(page)), MAX_PAGE) : 1,
  };
}

/** The asset (or version) page, rendered from the store; undefined when there is no such thing. */
async function renderAssetPage(
  deps: HttpDeps,
  namespace: string,
  name: string,
  requested: string | undefined,
): Promise<CachedResponse | undefined> {
  const asset = await findAsset(deps.db, namespace, name);
  if (!asset) return undefined;
  const [all, served] = await Promise.all([
    listVersions(deps.db, asset.id),
    loadServedVersions(deps.db, asset.id),
  ]);
  const servedByTag = new Map(served.filter((s) => s.etag !== null).map((s) => [s.version.tag, s]));
  const servedTags = [...servedByTag.keys()];
  // Releases that never got served are listed too, so an author sees why one is missing.
  const failedTags = all
    .filter((v) => v.removedAt === null && !servedByTag.has(v.tag) && v.attemptState === 'failed')
    .map((v) => v.tag);
  const listed = [...servedTags, ...failedTags];
  const byTag = new Map(all.map((v) => [v.tag, v]));
  const versions: VersionEntry[] = [
    ...sortVersions(listed).reverse(),
    ...failedTags.filter((t) => parseVersion(t) === undefined),
  ].map((tag) => ({ tag, prerelease: byTag.get(tag)!.prerelease, served: servedByTag.has(tag) }));

  const latest = resolveVersion('latest', servedTags);
  let tag: string | undefined = latest;
  if (requested !== undefined) {
    // Bonsai's URLs spell dots as underscores; `latest` and the other `v` spelling work as in the API.
    const pick = (tags: string[]) =>
      resolveVersion(requested, tags) ?? resolveVersion(requested.replaceAll('_', '.'), tags);
    tag = pick(servedTags) ?? pick(failedTags) ?? failedTags.find((t) => otherSpelling(t) === requested);
    if (tag === undefined) return undefined;
  }
  const shown = tag === undefined ? undefined : byTag.get(tag);
  const docs = shown ? await loadVersionDocs(deps.db, asset.id, shown.tag) : undefined;
  const page = assetPage({
    base: deps.urls.publicUrl,
    asset,
    versions,
    latest,
    version: shown,
    builds: (tag !== undefined && servedByTag.get(tag)?.builds) || [],
    docs,
    versionPage: requested !== undefined,
    archiveUrl: (b) => buildUrl(b, deps.urls),
  });
  return rendered(page.value, asset.id);
}

export function webRoutes(router: Router, deps: HttpDeps): void {
  const base = () => deps.urls.publicUrl;

  for (const file of STATIC_FILES) {
    router.get(file.path, (ctx) => {
      sendRendered(ctx, file, file.type);
      ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
      ctx.set('X-Content-Type-Options', 'nosniff');
    });
  }

  router.get('/', async (ctx) => {
    const page = await readThrough(deps.cache, LIST_CACHE_GROUP, 'page:home', async () => {
      const [counts, recent, facets] = await Promise.all([
        loadCounts(deps.db),
        freshPage(deps, (fingerprint) =>
          searchAssets(
            deps.db,
            { search: '', tiers: [], platforms: [], archs: [], tags: [], order: 'recently_updated', page: 1 },
            fingerprint,
          ),
        ),
        loadFacets(deps.db),
      ]);
      const body = homePage({
        base: base(),
        counts,
        recent: recent.assets.slice(0, 10),
        tags: facets.tags.slice(0, 15),
      });
      return rendered(body.value);
    });
    sendPage(ctx, page!);
  });

  router.get('/assets', async (ctx) => {
    const filters = parseListFilters(ctx.query as Query);
    const page = await readThrough(
      deps.cache,
      filters.order === 'most_downloaded' ? DOWNLOADS_LIST_CACHE_GROUP : LIST_CACHE_GROUP,
      `page:list:${JSON.stringify(filters)}`,
      async () => {
        const [found, facets] = await Promise.all([
          freshPage(deps, (fingerprint) => searchAssets(deps.db, filters, fingerprint)),
          loadFacets(deps.db),
        ]);
        return rendered(listPage({ base: base(), filters, facets, ...found }).value);
      },
    );
    sendPage(ctx, page!);
  });

  router.get('/assets.atom', async (ctx) => {
    const feed = await readThrough(deps.cache, LIST_CACHE_GROUP, 'feed', async () =>
      rendered(
        atomFeed({
          base: base(),
          id: `${base()}/assets.atom`,
          title: 'New asset versions',
          entries: await recentVersions(deps.db, 50),
        }),
      ),
    );
    sendPage(ctx, feed!, ATOM_TYPE);
  });

  // Shared with the API's redirect (routes/assets.ts): browsers get the page, every other client what it
  // got before (the redirect to the API object, or its JSON 404).
  router.get('/assets/:namespace/:name', async (ctx, next: Next) => {
    ctx.vary('Accept');
    const namespace = segment((ctx.params as Record<string, string>).namespace);
    const name = segment((ctx.params as Record<string, string>).name);
    if (namespace && name?.endsWith('.atom') && !(await findAsset(deps.db, namespace, name))) {
      const feed = await assetFeed(deps, namespace, name.slice(0, -'.atom'.length));
      if (feed) return sendPage(ctx, feed, ATOM_TYPE);
    }
    if (!wantsHtml(ctx)) return next();
    const page =
      namespace && name
        ? await readThrough(deps.cache, assetCacheGroup(namespace, name), 'page:asset', () =>
            renderAssetPage(deps, namespace, name, undefined),
          )
        : undefined;
    if (!page)
      return sendNotFoundPage(
        ctx,
        base(),
        `There is no asset ${ctx.params.namespace}/${ctx.params.name} in this registry.`,
      );
    sendPage(ctx, page);
  });

  router.get('/assets/:namespace/:name/versions/:version', async (ctx) => {
    const p = ctx.params as Record<string, string>;
    const namespace = segment(p.namespace);
    const name = segment(p.name);
    const version = segment(p.version);
    const page =
      namespace && name && version
        ? await readThrough(deps.cache, assetCacheGroup(namespace, name), `page:version:${version}`, () =>
            renderAssetPage(deps, namespace, name, version),
          )
        : undefined;
    if (!page)
      return sendNotFoundPage(
        ctx,
        base(),
        `There is no version ${p.version} of ${p.namespace}/${p.name} in this registry.`,
      );
    sendPage(ctx, page);
  });
}

async function assetFeed(
  deps: HttpDeps,
  namespace: string,
  name: string,
): Promise<CachedResponse | undefined> {
  return readThrough(deps.cache, assetCacheGroup(namespace, name), 'feed', async () => {
    const asset = await findAsset(deps.db, namespace, name);
    if (!asset) return undefined;
    const url = assetPageUrl(deps.urls.publicUrl, asset);
    return rendered(
      atomFeed({
        base: deps.urls.publicUrl,
        id: `${url}.atom`,
        title: `New versions of ${asset.namespace}/${asset.name}`,
        entries: await recentVersions(deps.db, 50, asset.id),
      }),
      asset.id,
    );
  });
}

/** After every route: an unknown page asked for by a browser gets the HTML 404 (the API keeps its JSON). */
export function htmlNotFound(deps: HttpDeps) {
  return async (ctx: Context, next: Next) => {
    const forPeople = () => isForPeople(ctx);
    try {
      await next();
    } catch (err) {
      if (isRegistryError(err) && err.code === 'NOT_FOUND' && forPeople())
        return sendNotFoundPage(ctx, deps.urls.publicUrl, 'There is nothing at this address.');
      throw err;
    }
    if (ctx.status !== 404 || (ctx.body !== undefined && ctx.body !== null) || !forPeople()) return;
    sendNotFoundPage(ctx, deps.urls.publicUrl, 'There is no page at this address.');
  };
}

export { PER_PAGE };
