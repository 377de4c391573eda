import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish } from './support/fixtures.js';
import { ADMIN_TOKEN, WEBHOOK_SECRET, startHarness, type Harness } from './support/harness.js';
import { rawRequest, type RawRequest } from './support/raw-http.js';

/**
 * Hostile and broken requests are answered 4xx in Bonsai's JSON error shape, with a code, before any
 * database call; no request makes the registry answer 5xx. One registry (PGlite) for the whole file.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.gh.state.createRepo('bad/check');
  await publish(h.gh, 'bad/check', '1.0.0');
  await h.addRepo('bad/check');
  // Warm the cache, so the fast path would answer these routes if it let bad bytes through.
  await h.get('/api/v1/assets/bad/check');
  await h.get('/api/v1/assets/bad/check/1.0.0/release_asset_builds');
  await h.get('/api/v1/assets/bad/check/1.0.0/linux/amd64/release_asset');
});
afterAll(() => h?.close());

const hmac = (body: Buffer | string) =>
  `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;

function releaseEvent(owner: string, name: string, tag: string): string {
  return JSON.stringify({
    action: 'published',
    release: { tag_name: tag },
    repository: { name, full_name: `${owner}/${name}`, owner: { login: owner } },
  });
}

/** A delivery signed with the registry's secret (so only the bad part is what gets refused). */
function signed(
  body: Buffer | string,
  headers: [string, string | Buffer][] = [],
): Omit<RawRequest, 'target'> {
  return {
    method: 'POST',
    body,
    headers: [
      ['Content-Type', 'application/json'],
      ['X-GitHub-Event', 'release'],
      ['X-GitHub-Delivery', `d-${Math.random().toString(36).slice(2)}`],
      ['X-Hub-Signature-256', hmac(body)],
      ...headers,
    ],
  };
}

function admin(body: Buffer | string): Omit<RawRequest, 'target'> {
  return {
    method: 'POST',
    body,
    headers: [
      ['Content-Type', 'application/json'],
      ['Authorization', `Bearer ${ADMIN_TOKEN}`],
    ],
  };
}

const GET = { method: 'GET' };
const BUILDS = '/api/v1/assets/bad/check/1.0.0/release_asset_builds';
const BIG_DELIVERY = 'x'.repeat(8 * 1024);

type Case = [
  label: string,
  target: string | Buffer,
  request: Omit<RawRequest, 'target'>,
  status: number,
  code: string,
];

const CASES: Case[] = [
  // Query parameters (Koa routes).
  ['NUL in q', '/api/v1/assets?q=%00', GET, 400, 'INVALID_DATA'],
  ['NUL in name', '/api/v1/assets?name=a%00b', GET, 400, 'INVALID_DATA'],
  ['bad percent-encoding in namespace', '/api/v1/assets?namespace=%ZZ', GET, 400, 'INVALID_DATA'],
  ['a lone % in q', '/api/v1/assets?q=100%', GET, 400, 'INVALID_DATA'],
  ['invalid UTF-8 in q', '/api/v1/assets?q=%C3%28', GET, 400, 'INVALID_DATA'],
  ['an encoded surrogate in q', '/api/v1/assets?q=%ED%A0%80', GET, 400, 'INVALID_DATA'],
  ['a control character in q', '/api/v1/assets?q=a%01b', GET, 400, 'INVALID_DATA'],
  ['DEL in order', '/api/v1/assets?order=%7F', GET, 400, 'INVALID_DATA'],
  ['NUL in a query key', '/api/v1/assets?%00=1', GET, 400, 'INVALID_DATA'],
  ['a newline in items', '/api/v1/assets?items=1%0A', GET, 400, 'INVALID_DATA'],
  ['items not a number', '/api/v1/assets?items=ten', GET, 400, 'INVALID_DATA'],
  ['NUL in a health query', '/healthz?verbose=%00', GET, 400, 'INVALID_DATA'],
  // Path segments, fast-path routes first (their answers are cached).
  ['NUL in the namespace (asset)', '/api/v1/assets/bad%00/check', GET, 400, 'INVALID_DATA'],
  ['NUL in the name (asset)', '/api/v1/assets/bad/check%00', GET, 400, 'INVALID_DATA'],
  ['NUL in the version', '/api/v1/assets/bad/check/1.0.0%00/release_asset_builds', GET, 400, 'INVALID_DATA'],
  [
    'bad encoding in the version',
    '/api/v1/assets/bad/check/%E0%A4/release_asset_builds',
    GET,
    400,
    'INVALID_DATA',
  ],
  ['a lone % in the version', '/api/v1/assets/bad/check/1%/release_asset_builds', GET, 400, 'INVALID_DATA'],
  [
    'NUL in the platform',
    '/api/v1/assets/bad/check/1.0.0/linux%00/amd64/release_asset',
    GET,
    400,
    'INVALID_DATA',
  ],
  [
    'a tab in the arch',
    '/api/v1/assets/bad/check/1.0.0/linux/amd64%09/release_asset',
    GET,
    400,
    'INVALID_DATA',
  ],
  ['a cached route with a NUL in its query', `${BUILDS}?x=%00`, GET, 400, 'INVALID_DATA'],
  ['NUL in the status route', '/api/v1/assets/bad/check%00/status', GET, 400, 'INVALID_DATA'],
  [
    'NUL in a YAML download',
    '/release_assets/bad/check/1.0.0/linux/amd64%00/download',
    GET,
    400,
    'INVALID_DATA',
  ],
  ['NUL in the web page route', '/assets/bad%00/check', GET, 400, 'INVALID_DATA'],
  ['a newline in the download route', '/assets/bad/check%0A/download', GET, 400, 'INVALID_DATA'],
  ['NUL in an artifact path', '/artifacts/%00/file.tar.gz', GET, 400, 'INVALID_DATA'],
  ['NUL in an unknown path', '/nothing%00here', GET, 400, 'INVALID_DATA'],
  [
    'a raw byte 0xFF in the path',
    Buffer.from([...Buffer.from('/api/v1/assets/b'), 0xff, ...Buffer.from('/c')]),
    GET,
    400,
    'INVALID_DATA',
  ],
  // Header values (refused by the HTTP parser, answered in the same JSON shape).
  [
    'NUL in a header',
    BUILDS,
    { method: 'GET', headers: [['X-Note', Buffer.from([0x61, 0x00, 0x62])]] },
    400,
    'INVALID_DATA',
  ],
  [
    'a control character in a header',
    BUILDS,
    { method: 'GET', headers: [['If-None-Match', Buffer.from([0x22, 0x01, 0x22])]] },
    400,
    'INVALID_DATA',
  ],
  ['a 20 KB query string', `/api/v1/assets?q=${'x'.repeat(20_000)}`, GET, 431, 'INVALID_DATA'],
  ['a NUL in the method', '/api/v1/assets', { method: 'GE\u0000T' }, 400, 'INVALID_DATA'],
  // Methods.
  ['POST on the asset list', '/api/v1/assets', { method: 'POST', body: '{}' }, 405, 'METHOD_NOT_ALLOWED'],
  ['DELETE on an asset', '/api/v1/assets/bad/check', { method: 'DELETE' }, 405, 'METHOD_NOT_ALLOWED'],
  ['PUT on a definition', BUILDS, { method: 'PUT', body: '{}' }, 405, 'METHOD_NOT_ALLOWED'],
  ['TRACE on the asset list', '/api/v1/assets', { method: 'TRACE' }, 405, 'METHOD_NOT_ALLOWED'],
  ['PROPFIND on an asset', '/api/v1/assets/bad/check', { method: 'PROPFIND' }, 405, 'METHOD_NOT_ALLOWED'],
  ['TRACE on /healthz', '/healthz', { method: 'TRACE' }, 405, 'METHOD_NOT_ALLOWED'],
  ['GET on the webhook URL', '/webhooks/github', GET, 405, 'METHOD_NOT_ALLOWED'],
  [
    'PATCH on repository registration',
    '/api/v1/repos',
    { method: 'PATCH', body: '{}' },
    405,
    'METHOD_NOT_ALLOWED',
  ],
  ['DELETE on the CI trigger', '/assets/bad/check/build', { method: 'DELETE' }, 405, 'METHOD_NOT_ALLOWED'],
  ['TRACE on an unknown path', '/no/such/route', { method: 'TRACE' }, 404, 'NOT_FOUND'],
  // Webhooks.
  [
    'an unsigned webhook',
    '/webhooks/github',
    { method: 'POST', body: releaseEvent('bad', 'check', '1.0.0') },
    401,
    'UNAUTHORIZED',
  ],
  [
    'a webhook declaring 10 MB',
    '/webhooks/github',
    {
      method: 'POST',
      headers: [
        ['X-Hub-Signature-256', hmac('x')],
        ['Content-Length', String(10 * 1024 * 1024)],
      ],
    },
    413,
    'PAYLOAD_TOO_LARGE',
  ],
  [
    'an 8 KB X-GitHub-Delivery',
    '/webhooks/github',
    signed(releaseEvent('bad', 'check', '1.0.0'), [['X-GitHub-Delivery', BIG_DELIVERY]]),
    400,
    'INVALID_DATA',
  ],
  [
    'a non-ASCII X-GitHub-Event',
    '/webhooks/github',
    signed('{}', [['X-GitHub-Event', Buffer.from([0x72, 0xe9])]]),
    400,
    'INVALID_DATA',
  ],
  [
    'NUL in a signed owner',
    '/webhooks/github',
    signed(releaseEvent('bad\u0000', 'check', '1.0.0')),
    400,
    'INVALID_DATA',
  ],
  [
    'a control character in a signed tag',
    '/webhooks/github',
    signed(releaseEvent('bad', 'check', '1.0.0\u0007')),
    400,
    'INVALID_DATA',
  ],
  [
    'a lone surrogate in a signed repository',
    '/webhooks/github',
    // JSON's escape for half a surrogate pair: valid JSON, no valid string.
    signed(
      '{"action":"published","release":{"tag_name":"1.0.0"},"repository":{"name":"check\\ud800","owner":{"login":"bad"}}}',
    ),
    400,
    'INVALID_DATA',
  ],
  [
    'a signed body that is not UTF-8',
    '/webhooks/github',
    signed(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])),
    400,
    'INVALID_DATA',
  ],
  ['a signed body that is not JSON', '/webhooks/github', signed('release!'), 400, 'INVALID_DATA'],
  ['NUL in a per-asset webhook path', '/assets/bad%00/check/webhook', signed('{}'), 400, 'INVALID_DATA'],
  // Admin routes.
  [
    'NUL in an admin description',
    '/api/v1/repos',
    admin(JSON.stringify({ repository: 'bad/check', description: 'a\u0000b' })),
    400,
    'INVALID_DATA',
  ],
  [
    'a lone surrogate in a tier',
    '/api/v1/repos',
    admin('{"repository":"bad/check","tier":"\\udc00"}'),
    400,
    'INVALID_DATA',
  ],
  [
    'NUL in a repository',
    '/api/v1/repos',
    admin(JSON.stringify({ repository: 'bad/ch\u0000eck' })),
    400,
    'INVALID_DATA',
  ],
  [
    'NUL in a key',
    '/api/v1/repos',
    admin(JSON.stringify({ repository: 'bad/check', 'x\u0000': 1 })),
    400,
    'INVALID_DATA',
  ],
  [
    'an admin body that is not UTF-8',
    '/api/v1/repos',
    admin(Buffer.from([0x7b, 0x22, 0xc3, 0x22, 0x7d])),
    400,
    'INVALID_DATA',
  ],
  ['an admin body that is not JSON', '/api/v1/repos', admin('{repository'), 400, 'INVALID_DATA'],
  [
    'an admin body nested 30,000 levels deep',
    '/api/v1/repos',
    admin('['.repeat(30_000) + ']'.repeat(30_000)),
    400,
    'INVALID_DATA',
  ],
  ['an admin request without a token', '/api/v1/repos', { method: 'POST', body: '{}' }, 401, 'UNAUTHORIZED'],
  ['NUL in the CI trigger path', '/assets/bad%00/check/build', admin(''), 400, 'INVALID_DATA'],
  [
    'an admin body over 64 KiB',
    '/api/v1/repos',
    admin(JSON.stringify({ repository: 'bad/check', description: 'd'.repeat(70_000) })),
    413,
    'PAYLOAD_TOO_LARGE',
  ],
];

describe('bad HTTP input', () => {
  it('has at least 40 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(40));

  it.each(CASES)('%s', async (_label, target, request, status, code) => {
    const res = await rawRequest(h.url, { ...request, target });
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
      status,
      type: 'application/json; charset=utf-8',
    });
    expect(JSON.parse(res.body)).toMatchObject({ error_code: code, error_messages: expect.any(Array) });
    if (status === 405) expect(res.headers.allow).toMatch(/^[A-Z]+(, [A-Z]+)*$/);
  });

  it('lists the allowed methods of a route in Allow and answers OPTIONS', async () => {
    const res = await rawRequest(h.url, { method: 'DELETE', target: '/api/v1/assets' });
    expect(res.headers.allow).toBe('HEAD, GET, OPTIONS');
    const options = await rawRequest(h.url, { method: 'OPTIONS', target: '/webhooks/github' });
    expect({ status: options.status, allow: options.headers.allow }).toEqual({
      status: 204,
      allow: 'POST, OPTIONS',
    });
  });

  it('still serves the good requests, and the database was never reached by the bad ones', async () => {
    const res = await h.get(BUILDS);
    expect(res.status).toBe(200);
    expect((await h.get('/api/v1/assets?q=check')).status).toBe(200);
    expect(h.logs.some((l) => l.includes('invalid byte sequence'))).toBe(false);
    expect(h.logs.some((l) => /"status":5\d\d/.test(l))).toBe(false);
  });
});
