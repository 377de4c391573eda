import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish } from './support/fixtures.js';
import { startHarness, type Harness, type Response } from './support/harness.js';
import { rawRequest } from './support/raw-http.js';

/**
 * Conditional GETs (RFC 9110 §13.1.2, §15.4.5) on every route that answers a stored render, the fast path
 * (registry/http/fast-path.ts) and Koa alike: Koa answers what the fast path does not take (YAML
 * attachments, percent-encoded targets, HEAD, the web pages). A client or proxy must see one rule
 * whichever answered: the 200 carries a strong ETag and Cache-Control; `If-None-Match` naming it (weak
 * comparison, any member of a list, `*`) answers 304 with no body and the headers the 200 would carry;
 * any other value answers the 200 again.
 */

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const READ_CACHE = 'public, max-age=60';
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Headers a 304 must repeat from its 200 (RFC 9110 §15.4.5), and the pages' security headers. */
const REPEATED = [
  'etag',
  'cache-control',
  'vary',
  'content-security-policy',
  'x-content-type-options',
  'referrer-policy',
];

let h: Harness;
let stylesheet: string;

beforeAll(async () => {
  h = await startHarness();
  h.gh.state.createRepo('cond/check-etag', { description: 'Checks conditional requests' });
  await publish(h.gh, 'cond/check-etag', '1.0.0');
  await h.addRepo('cond/check-etag');
  stylesheet = (await h.get('/', HTML)).text.match(/\/static\/style\.[\w]+\.css/)![0];
}, 60_000);
afterAll(() => h?.close());

/** If-None-Match values that name `etag`: the tag, its weak form, in a list (with or without spaces), `*`. */
const naming = (etag: string) => [
  etag,
  `W/${etag}`,
  `"other", ${etag}`,
  `W/"other",W/${etag}`,
  `"a", "b" , ${etag} ,"c"`,
  '*',
];
/** Values that do not: other tags, weak or strong, a list of them, the tag unquoted or altered. */
const notNaming = (etag: string) => [
  '"stale"',
  'W/"stale"',
  '"other", W/"stale"',
  etag.slice(1, -1),
  `"x${etag.slice(1)}`,
  `W/"${etag}"`,
];

interface Route {
  /** What it is, for the test name. */
  what: string;
  path: string;
  headers?: Record<string, string>;
  type: string;
  cacheControl: string;
}

const DEFINITION = '/api/v1/assets/cond/check-etag/1.0.0/release_asset_builds';
const YAML = '/release_assets/cond/check-etag/1.0.0/linux/amd64/download';

const KOA_ROUTES: Route[] = [
  { what: 'YAML download', path: YAML, type: 'application/yaml; charset=utf-8', cacheControl: READ_CACHE },
  {
    what: 'YAML download, percent-encoded',
    path: YAML.replace('/linux/', '/%6cinux/'),
    type: 'application/yaml; charset=utf-8',
    cacheControl: READ_CACHE,
  },
  {
    what: 'definition, percent-encoded path',
    path: DEFINITION.replace('/cond/', '/%63ond/'),
    type: 'application/json; charset=utf-8',
    cacheControl: READ_CACHE,
  },
  {
    what: 'single build, percent-encoded path',
    path: '/api/v1/assets/cond/check-%65tag/1.0.0/linux/amd64/release_asset',
    type: 'application/json; charset=utf-8',
    cacheControl: READ_CACHE,
  },
  {
    what: 'asset object, percent-encoded path',
    path: '/api/v1/assets/cond/check%2Detag',
    type: 'application/json; charset=utf-8',
    cacheControl: READ_CACHE,
  },
  {
    what: 'asset list, percent-encoded query',
    path: '/api/v1/assets?q=%63heck&items=%35',
    type: 'application/json; charset=utf-8',
    cacheControl: READ_CACHE,
  },
  {
    what: 'home page',
    path: '/',
    headers: HTML,
    type: 'text/html; charset=utf-8',
    cacheControl: READ_CACHE,
  },
  {
    what: 'list page',
    path: '/assets?q=check&order=recently_added',
    headers: HTML,
    type: 'text/html; charset=utf-8',
    cacheControl: READ_CACHE,
  },
  {
    what: 'asset page',
    path: '/assets/cond/check-etag',
    headers: HTML,
    type: 'text/html; charset=utf-8',
    cacheControl: READ_CACHE,
  },
  {
    what: 'version page',
    path: '/assets/cond/check-etag/versions/1.0.0',
    headers: HTML,
    type: 'text/html; charset=utf-8',
    cacheControl: READ_CACHE,
  },
  {
    what: 'feed of all assets',
    path: '/assets.atom',
    type: 'application/atom+xml; charset=utf-8',
    cacheControl: READ_CACHE,
  },
  {
    what: "feed of one asset's versions",
    path: '/assets/cond/check-etag.atom',
    type: 'application/atom+xml; charset=utf-8',
    cacheControl: READ_CACHE,
  },
];

const get = (route: Route, ifNoneMatch?: string) =>
  h.get(route.path, {
    ...route.headers,
    ...(ifNoneMatch === undefined ? {} : { 'if-none-match': ifNoneMatch }),
  });

function expectRepeated(notModified: Response, full: Response, label: string) {
  expect(notModified.status, label).toBe(304);
  expect(notModified.text, label).toBe('');
  for (const name of REPEATED)
    expect(notModified.headers.get(name), `${label}: ${name}`).toBe(full.headers.get(name));
}

describe('conditional GETs answered by Koa', () => {
  it.each(KOA_ROUTES)('$what: 200 with an ETag, 304 to it, 200 to any other', async (route) => {
    const full = await get(route);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe(route.type);
    expect(full.headers.get('cache-control')).toBe(route.cacheControl);
    const etag = full.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(full.text.length).toBeGreaterThan(0);
    for (const header of naming(etag)) expectRepeated(await get(route, header), full, header);
    for (const header of notNaming(etag)) {
      const again = await get(route, header);
      expect(again.status, header).toBe(200);
      expect(again.text, header).toBe(full.text);
      expect(again.headers.get('etag'), header).toBe(etag);
    }
  });

  it('a static file: 304 keeps its year-long Cache-Control', async () => {
    const route = {
      what: 'stylesheet',
      path: stylesheet,
      type: 'text/css; charset=utf-8',
      cacheControl: IMMUTABLE,
    };
    const full = await get(route);
    expect(full.headers.get('cache-control')).toBe(IMMUTABLE);
    const etag = full.headers.get('etag')!;
    for (const header of naming(etag)) expectRepeated(await get(route, header), full, header);
    for (const header of notNaming(etag)) expect((await get(route, header)).status, header).toBe(200);
  });

  it('the YAML attachment keeps its file name on a 304', async () => {
    const full = await h.get(YAML);
    const disposition = 'attachment; filename="cond-check-etag-1.0.0-linux-amd64.yml"';
    expect(full.headers.get('content-disposition')).toBe(disposition);
    const notModified = await h.get(YAML, { 'if-none-match': full.headers.get('etag')! });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('content-disposition')).toBe(disposition);
  });

  it('HEAD answers the same ETag without a body, and 304 to it', async () => {
    for (const path of [DEFINITION, YAML]) {
      const full = await h.get(path);
      const head = await fetch(h.url + path, { method: 'HEAD' });
      expect(head.status, path).toBe(200);
      expect(await head.text(), path).toBe('');
      expect(head.headers.get('etag'), path).toBe(full.headers.get('etag'));
      const notModified = await fetch(h.url + path, {
        method: 'HEAD',
        headers: { 'if-none-match': `W/${full.headers.get('etag')}` },
      });
      expect(notModified.status, path).toBe(304);
      expect(notModified.headers.get('cache-control'), path).toBe(READ_CACHE);
    }
  });
});

describe('the fast path and Koa agree', () => {
  /** Pairs of one resource: the fast path answers the first, Koa the second (percent-encoded). */
  const PAIRS: [string, string][] = [
    [DEFINITION, DEFINITION.replace('/check-etag/', '/check-%65tag/')],
    [
      '/api/v1/assets/cond/check-etag/1.0.0/linux/amd64/release_asset',
      '/api/v1/assets/cond/check-etag/1.0.0/%6cinux/amd64/release_asset',
    ],
    ['/api/v1/assets/cond/check-etag', '/api/v1/assets/%63ond/check-etag'],
    ['/api/v1/assets?q=check&items=5', '/api/v1/assets?q=%63heck&items=5'],
  ];
  /** The headers a client compares: not those of the connection or the request. */
  const comparable = (headers: Headers) =>
    [...headers.entries()]
      .filter(([k]) => !['date', 'x-request-id', 'connection', 'keep-alive'].includes(k))
      .sort();

  it.each(PAIRS)('%s: the same ETag, 200 and 304 as %s', async (fastPath, koaPath) => {
    const fast = await h.get(fastPath);
    const koa = await h.get(koaPath);
    expect(koa.status).toBe(200);
    expect(koa.text).toBe(fast.text);
    expect(comparable(koa.headers)).toEqual(comparable(fast.headers));
    const etag = fast.headers.get('etag')!;
    for (const header of [...naming(etag), ...notNaming(etag)]) {
      const fromFast = await h.get(fastPath, { 'if-none-match': header });
      const fromKoa = await h.get(koaPath, { 'if-none-match': header });
      expect(fromKoa.status, header).toBe(fromFast.status);
      expect(fromKoa.text, header).toBe(fromFast.text);
      expect(comparable(fromKoa.headers), header).toEqual(comparable(fromFast.headers));
    }
  });

  it.each(PAIRS)(
    '%s: If-None-Match in two field lines is one list (and on %s)',
    async (fastPath, koaPath) => {
      const etag = (await h.get(fastPath)).headers.get('etag')!;
      for (const target of [fastPath, koaPath]) {
        const twoLines = (second: string) =>
          rawRequest(h.url, {
            method: 'GET',
            target,
            headers: [
              ['If-None-Match', '"other"'],
              ['If-None-Match', second],
            ],
          });
        const notModified = await twoLines(etag);
        expect(notModified.status, target).toBe(304);
        expect(notModified.body, target).toBe('');
        expect(notModified.headers.etag, target).toBe(etag);
        expect((await twoLines('"stale"')).status, target).toBe(200);
      }
    },
  );

  it('`*` never turns a 404 or a refused request into a 304', async () => {
    for (const path of [
      '/api/v1/assets/cond/check-etag/9.9.9/release_asset_builds',
      '/api/v1/assets/cond/check-%65tag/9.9.9/release_asset_builds',
      '/release_assets/cond/check-etag/9.9.9/linux/amd64/download',
      '/api/v1/assets/cond/nothing-here',
    ]) {
      const res = await h.get(path, { 'if-none-match': '*' });
      expect(res.status, path).toBe(404);
      expect(res.json(), path).toEqual({
        error_messages: ['Resource does not exist.'],
        error_code: 'NOT_FOUND',
      });
    }
    const refused = await h.get('/api/v1/assets?items=0', { 'if-none-match': '*' });
    expect(refused.status).toBe(400);
    expect((refused.json() as { error_code: string }).error_code).toBe('INVALID_DATA');
  });
});
