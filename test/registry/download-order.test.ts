import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadCounter } from '../../registry/http/downloads.js';
import { registerAsset } from '../../registry/store/assets.js';
import { openTestDb } from './support/databases.js';
import { publish } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { waitFor } from './support/wait.js';

/**
 * Download counts as a user sees them: the order of `order=most_downloaded` (the API list and the web
 * list; no API object shows the count, COMPAT §5). A download is a GET of a stored definition, the
 * multi-build JSON sensuctl reads or the YAML attachment of Bonsai's "download definition" button,
 * answered 200 or 304 (a client revalidating the copy it installs), from the cache or not, by the fast
 * path or Koa. A HEAD, a 404, the single-build JSON, the asset object, lists and pages are not. Counts
 * are kept in memory and written in batches (registry/http/downloads.ts, every 10 s and when the registry
 * stops), so most tests stop the registry to have them written and start it again to read them; one
 * waits for the periodic write, which drops the cached pages in download order.
 */

const HTML = { accept: 'text/html' };
/** Named so that the name order (the ties' order) is never the download order by chance. */
const NAMES = ['a-unread', 'b-uncounted', 'c-koa', 'd-revalidated', 'e-plain'] as const;
type Name = (typeof NAMES)[number];

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  for (const name of NAMES) {
    h.gh.state.createRepo(`dl/${name}`);
    await publish(h.gh, `dl/${name}`, '1.0.0');
    // One at a time: created_at and updated_at follow this order.
    await h.addRepo(`dl/${name}`);
  }
}, 120_000);
afterAll(() => h?.close());

const builds = (name: Name, version = '1.0.0') => `/api/v1/assets/dl/${name}/${version}/release_asset_builds`;
const yaml = (name: Name) => `/release_assets/dl/${name}/1.0.0/linux/amd64/download`;

async function get(path: string, headers: Record<string, string> = {}, status = 200) {
  const res = await h.get(path, headers);
  expect(res.status, path).toBe(status);
  return res;
}

async function head(path: string) {
  const res = await fetch(h.url + path, { method: 'HEAD' });
  expect(res.status, path).toBe(200);
}

/** The names the API list and the web list show in `order`, read one after the other. */
async function lists(order: string): Promise<{ api: string[]; web: string[] }> {
  const body = (await get(`/api/v1/assets?namespace=dl&order=${order}`)).json() as {
    assets: { name: string }[];
  };
  const api = body.assets.map((a) => a.name.slice('dl/'.length));
  const page = (await get(`/assets?order=${order}`, HTML)).text;
  const web = [...page.matchAll(/<h2><a href="[^"]*\/assets\/dl\/([^"/]+)">/g)].map((m) => m[1]!);
  return { api, web };
}

/** The names the API list shows in `order`, and the web list's too (they must agree). */
async function listed(order: string): Promise<string[]> {
  const { api, web } = await lists(order);
  expect(web, `the web list in ${order}`).toEqual(api);
  return api;
}

const ADDED = [...NAMES].reverse();

/** Downloads move no other order: name (and most_followed, listed by name), recently added and updated. */
async function expectOtherOrdersUnmoved() {
  expect(await listed('name')).toEqual([...NAMES]);
  expect(await listed('most_followed')).toEqual([...NAMES]);
  expect(await listed('recently_added')).toEqual(ADDED);
  expect(await listed('recently_updated')).toEqual(ADDED);
}

/** Stops the registry (which writes the counts it holds) and starts it again on the same database. */
async function restart() {
  await h.stopRegistry();
  await h.startRegistry();
}

describe('order=most_downloaded', () => {
  it('follows the definitions read, 304s and cache hits included, and survives restarts', async () => {
    // Before any read, every count is 0: the name order.
    expect(await listed('most_downloaded')).toEqual([...NAMES]);

    // e-plain: 3 reads by the fast path (a miss, then cache hits).
    for (let i = 0; i < 3; i++) await get(builds('e-plain'));
    // d-revalidated: 1 read, then 3 conditional reads answered 304.
    const etag = (await get(builds('d-revalidated'))).headers.get('etag')!;
    for (let i = 0; i < 3; i++) await get(builds('d-revalidated'), { 'if-none-match': etag }, 304);
    // c-koa: what Koa answers: percent-encoded targets (other spellings of the version too), a 304, and
    // the YAML attachment, once 200 and once 304.
    await get(builds('c-koa').replace('/dl/', '/%64l/'));
    const koaEtag = (await get(builds('c-koa', 'latest').replace('/dl/', '/%64l/'))).headers.get('etag')!;
    await get(builds('c-koa', 'v1.0.0').replace('/dl/', '/%64l/'), { 'if-none-match': koaEtag }, 304);
    const yamlEtag = (await get(yaml('c-koa'))).headers.get('etag')!;
    await get(yaml('c-koa'), { 'if-none-match': yamlEtag }, 304);
    // b-uncounted: reads that are not downloads, each twice (a miss, then a cache hit).
    for (let i = 0; i < 2; i++) {
      await get('/api/v1/assets/dl/b-uncounted/1.0.0/linux/amd64/release_asset');
      await get('/api/v1/assets/dl/b-uncounted/1.0.0/%6cinux/amd64/release_asset');
      await get('/api/v1/assets/dl/b-uncounted');
      await get('/assets/dl/b-uncounted', HTML);
      await get(builds('b-uncounted', '9.9.9'), {}, 404);
      await get(yaml('b-uncounted').replace('linux', 'plan9'), {}, 404);
      await head(builds('b-uncounted'));
      await head(builds('b-uncounted').replace('/dl/', '/%64l/'));
      await head(yaml('b-uncounted'));
    }
    // a-unread: nothing.

    await restart();
    // c 5, d 4, e 3, then a and b with 0, by name.
    expect(await listed('most_downloaded')).toEqual([
      'c-koa',
      'd-revalidated',
      'e-plain',
      'a-unread',
      'b-uncounted',
    ]);
    await expectOtherOrdersUnmoved();

    // The counts written before the restart are added to, not replaced.
    for (let i = 0; i < 6; i++) await get(builds('a-unread', 'latest'));
    for (let i = 0; i < 3; i++) await get(builds('e-plain'));
    await restart();
    // a 6 and e 3 + 3 tie (by name), then c 5, d 4, b 0.
    expect(await listed('most_downloaded')).toEqual([
      'a-unread',
      'e-plain',
      'c-koa',
      'd-revalidated',
      'b-uncounted',
    ]);
    await expectOtherOrdersUnmoved();
  });
});

describe('the other orders', () => {
  it('a new release moves an asset up in recently_updated only', async () => {
    await expectOtherOrdersUnmoved();
    await publish(h.gh, 'dl/b-uncounted', '1.1.0');
    await h.sync('dl/b-uncounted');
    expect(await listed('recently_updated')).toEqual([
      'b-uncounted',
      ...ADDED.filter((n) => n !== 'b-uncounted'),
    ]);
    expect(await listed('recently_added')).toEqual(ADDED);
    expect(await listed('name')).toEqual([...NAMES]);
  });
});

describe('while the registry runs', () => {
  it('moves the cached pages in download order once the counts are written, without a restart', async () => {
    const before = await listed('most_downloaded');
    expect(before[0]).not.toBe('b-uncounted');
    for (let i = 0; i < 10; i++) await get(builds('b-uncounted'));
    // Counts are written every 10 s; the pages in download order are dropped then, not only at restarts.
    // The write may land between the API read and the page read: wait until both show it, then check
    // that they agree.
    await waitFor('the new download order', async () => {
      const { api, web } = await lists('most_downloaded');
      return api[0] === 'b-uncounted' && web[0] === 'b-uncounted';
    });
    expect(await listed('most_downloaded')).toEqual([
      'b-uncounted',
      ...before.filter((n) => n !== 'b-uncounted'),
    ]);
  }, 60_000);
});

describe('a batch of counts that cannot be written', () => {
  it('is kept and written with the next batch, once', async () => {
    const t = await openTestDb('pglite');
    try {
      const { asset } = await registerAsset(t.db, 'dl', 'kept', {});
      let saved = 0;
      const counter = new DownloadCounter(t.db, pino({ level: 'silent' }), async () => {
        saved++;
      });
      const downloads = async () =>
        (await t.db.query<{ n: number }>('SELECT downloads AS n FROM assets WHERE id = $1', [asset.id]))
          .rows[0]!.n;
      for (let i = 0; i < 3; i++) counter.count(asset.id);
      // The write fails (the table is out of reach for a moment).
      await t.db.query('ALTER TABLE assets RENAME TO assets_away');
      await counter.flush();
      await t.db.query('ALTER TABLE assets_away RENAME TO assets');
      expect(await downloads()).toBe(0);
      expect(saved).toBe(0);
      for (let i = 0; i < 2; i++) counter.count(asset.id);
      await counter.flush();
      expect(await downloads()).toBe(5);
      expect(saved).toBe(1);
      await counter.flush();
      expect(await downloads()).toBe(5);
    } finally {
      await t.cleanup();
    }
  });
});
