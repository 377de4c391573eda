import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAsset } from '../../registry/ingest/render.js';
import { startHarness, type Harness } from './support/harness.js';

/**
 * The asset list with more assets than a page holds (COMPAT §5: `items` default 10, at most 100; bad
 * numbers 400 INVALID_DATA): the default and the cap, paging by `start` that lists every asset exactly
 * once in each order (ties broken by name, so pages never overlap or skip), totals, `q=` search, and the
 * web list's `page`. Assets are written straight into the registry's database and rendered by the
 * registry's own render (an ingest per asset would take minutes); their creation and update times and
 * download counts are set here, with many ties.
 */

interface Seeded {
  namespace: string;
  name: string;
  description: string;
  created: number;
  updated: number;
  downloads: number;
}

const BULK = 137;
const T0 = Date.UTC(2026, 0, 1);
const minutes = (n: number) => T0 + n * 60_000;
const pad = (i: number) => String(i).padStart(3, '0');

/** Names in mixed case, some holding the searched word; times and downloads with many ties. */
function seeded(): Seeded[] {
  const bulk = Array.from({ length: BULK }, (_, i) => ({
    namespace: 'bulk',
    name: i % 23 === 5 ? `zebra-${pad(i)}` : i % 4 === 0 ? `Check-${pad(i)}` : `check-${pad(i)}`,
    description: i % 5 === 0 ? 'Watches Zebra herds' : `Check number ${i}`,
    created: minutes((i * 37) % 50),
    updated: minutes((i * 53) % 40),
    downloads: (i * 7) % 9,
  }));
  const few = ['gamma', 'Alpha', 'beta'].map((name, i) => ({
    namespace: 'few',
    name,
    description: '',
    created: minutes(i),
    updated: minutes(i),
    downloads: 3,
  }));
  return [...bulk, ...few];
}

const ASSETS = seeded();
const key = (a: Seeded) => `${a.namespace}/${a.name}`;
const byName = (a: Seeded, b: Seeded) => {
  const [x, y] = [a.namespace.toLowerCase(), b.namespace.toLowerCase()];
  if (x !== y) return x < y ? -1 : 1;
  const [m, n] = [a.name.toLowerCase(), b.name.toLowerCase()];
  return m < n ? -1 : m > n ? 1 : 0;
};
const ORDERS = {
  name: byName,
  recently_updated: (a: Seeded, b: Seeded) => b.updated - a.updated || byName(a, b),
  recently_added: (a: Seeded, b: Seeded) => b.created - a.created || byName(a, b),
  most_downloaded: (a: Seeded, b: Seeded) => b.downloads - a.downloads || byName(a, b),
};
type Order = keyof typeof ORDERS;

/** The names the list should show, in order. */
function expected(order: Order, filter: (a: Seeded) => boolean = () => true): string[] {
  return ASSETS.filter(filter).sort(ORDERS[order]).map(key);
}

let h: Harness;
let base: string;

beforeAll(async () => {
  h = await startHarness();
  base = h.registry.runtime.urls.publicUrl;
  const { db, urls } = h.registry.runtime;
  // Written in another order than any the list offers, so no order follows the ids by chance.
  const rows = [...ASSETS].reverse().map((a) => ({
    namespace: a.namespace,
    name: a.name,
    description: a.description,
    github_url: `https://github.com/${a.namespace}/${a.name}`,
    created_at: new Date(a.created).toISOString(),
    updated_at: new Date(a.updated).toISOString(),
    downloads: a.downloads,
  }));
  const { rows: ids } = await db.query<{ id: number }>(
    `INSERT INTO assets (namespace, name, description, github_url, created_at, updated_at, downloads)
     SELECT namespace, name, description, github_url, created_at, updated_at, downloads
     FROM json_to_recordset($1::json) AS x (namespace text, name text, description text, github_url text,
       created_at timestamptz, updated_at timestamptz, downloads int)
     RETURNING id`,
    [JSON.stringify(rows)],
  );
  await db.transaction(async (tx) => {
    for (const { id } of ids) await renderAsset(tx, id, urls, 'all');
  });
}, 60_000);
afterAll(() => h?.close());

interface Page {
  start: number;
  total: number;
  next?: string;
  assets: { name: string }[];
}

async function list(path: string): Promise<Page> {
  const res = await h.get(path);
  expect(res.status, path).toBe(200);
  return res.json() as Page;
}

/** Follows `next` from `path` to the last page; every page's names, and the totals seen. */
async function allPages(path: string): Promise<{ pages: string[][]; totals: Set<number>; starts: number[] }> {
  const pages: string[][] = [];
  const totals = new Set<number>();
  const starts: number[] = [];
  let next: string | undefined = path;
  while (next !== undefined) {
    expect(pages.length, 'a next link past the end').toBeLessThan(200);
    const page = await list(next);
    pages.push(page.assets.map((a) => a.name));
    totals.add(page.total);
    starts.push(page.start);
    if (page.next !== undefined) expect(page.next.startsWith(`${base}/api/v1/assets?`)).toBe(true);
    next = page.next?.slice(base.length);
  }
  return { pages, totals, starts };
}

describe('items: default and cap', () => {
  it('lists 10 by default, with the total and a next page without items', async () => {
    const page = await list('/api/v1/assets');
    expect(page.start).toBe(0);
    expect(page.total).toBe(ASSETS.length);
    expect(page.assets.map((a) => a.name)).toEqual(expected('name').slice(0, 10));
    expect(page.next).toBe(`${base}/api/v1/assets?start=10`);
  });

  it.each(['101', '1000', '999999999'])(
    'reads items=%s as 100, and its next page keeps 100',
    async (items) => {
      const page = await list(`/api/v1/assets?items=${items}`);
      expect(page.total).toBe(ASSETS.length);
      expect(page.assets.map((a) => a.name)).toEqual(expected('name').slice(0, 100));
      expect(page.next).toBe(`${base}/api/v1/assets?items=100&start=100`);
      const rest = await list('/api/v1/assets?items=100&start=100');
      expect(rest.assets.map((a) => a.name)).toEqual(expected('name').slice(100));
      expect(rest.next).toBeUndefined();
    },
  );

  it('takes items=100 and items=99 as they are', async () => {
    expect((await list('/api/v1/assets?items=100')).assets).toHaveLength(100);
    expect((await list('/api/v1/assets?items=99')).assets).toHaveLength(99);
  });

  it('caps a search too: q= matching every asset lists 100', async () => {
    const page = await list('/api/v1/assets?q=bulk&items=500');
    expect(page.total).toBe(BULK);
    expect(page.assets).toHaveLength(100);
    expect(page.next).toBe(`${base}/api/v1/assets?items=100&q=bulk&start=100`);
  });
});

describe('paging by start', () => {
  it.each(Object.keys(ORDERS) as Order[])(
    'order=%s: next links list every asset exactly once, ties by name',
    async (order) => {
      const { pages, totals, starts } = await allPages(`/api/v1/assets?order=${order}&items=7`);
      expect(pages.flat()).toEqual(expected(order));
      expect([...totals]).toEqual([ASSETS.length]);
      expect(starts).toEqual(pages.map((_, i) => i * 7));
      expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true);
    },
  );

  it('the default page size pages through the whole list', async () => {
    const { pages } = await allPages('/api/v1/assets?order=most_downloaded');
    expect(pages).toHaveLength(Math.ceil(ASSETS.length / 10));
    expect(pages.flat()).toEqual(expected('most_downloaded'));
  });

  it('a start past the end lists nothing, with the total and no next', async () => {
    for (const start of [ASSETS.length, ASSETS.length + 1, 999_999_999]) {
      const page = await list(`/api/v1/assets?start=${start}`);
      expect(page).toEqual({ start, total: ASSETS.length, assets: [] });
    }
  });

  it('the last partial page has no next', async () => {
    const last = await list(`/api/v1/assets?items=10&start=${ASSETS.length - 3}`);
    expect(last.assets.map((a) => a.name)).toEqual(expected('name').slice(-3));
    expect(last.next).toBeUndefined();
  });

  it('q= pages through its matches only, names holding the words first', async () => {
    const matches = (a: Seeded) => /zebra/i.test(`${a.namespace} ${a.name} ${a.description}`);
    const inName = ASSETS.filter((a) => /zebra/i.test(a.name));
    const rest = ASSETS.filter((a) => matches(a) && !/zebra/i.test(a.name));
    expect(inName.length).toBeGreaterThan(1);
    expect(rest.length).toBeGreaterThan(10);
    const { pages, totals } = await allPages('/api/v1/assets?q=ZEBRA&order=recently_added&items=4');
    expect(pages.flat()).toEqual([
      ...inName.sort(ORDERS.recently_added).map(key),
      ...rest.sort(ORDERS.recently_added).map(key),
    ]);
    expect([...totals]).toEqual([inName.length + rest.length]);
  });

  it('namespace= counts and lists that namespace only', async () => {
    const page = await list('/api/v1/assets?namespace=FEW&items=2');
    expect(page.total).toBe(3);
    expect(page.assets.map((a) => a.name)).toEqual(['few/Alpha', 'few/beta']);
    expect(page.next).toBe(`${base}/api/v1/assets?items=2&namespace=FEW&start=2`);
  });
});

describe('bad numbers', () => {
  it.each([
    ['items=0', 'start: not provided and items: 0'],
    ['items=-1', 'start: not provided and items: -1'],
    ['items=2.5', 'start: not provided and items: 2.5'],
    ['items=1e3', 'start: not provided and items: 1e3'],
    ['items=0x10', 'start: not provided and items: 0x10'],
    ['items=', 'start: not provided and items: '],
    ['items=9999999999', 'start: not provided and items: 9999999999'],
    ['items=99999999999999999999999', 'start: not provided and items: 99999999999999999999999'],
    ['start=-10&items=5', 'start: -10 and items: 5'],
    ['start=ten', 'start: ten and items: not provided'],
    ['start=9999999999', 'start: 9999999999 and items: not provided'],
  ])('%s: 400 INVALID_DATA in Bonsai words', async (query, detail) => {
    const res = await h.get(`/api/v1/assets?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.json()).toEqual({
      error_code: 'INVALID_DATA',
      error_messages: [
        `Start and item parameters must be positive numbers but they are ${detail}.`,
        'start is a whole number from 0 (default 0); items a whole number from 1 (default 10, at most 100 are listed)',
      ],
    });
  });
});

describe('the web list', () => {
  /** The names a list page shows, in order. */
  const listed = (text: string) =>
    [...text.matchAll(/<h2><a href="[^"]*\/assets\/([^"/]+)\/([^"/]+)">/g)].map((m) => `${m[1]}/${m[2]}`);
  const HTML = { accept: 'text/html' };

  it.each(Object.keys(ORDERS) as Order[])(
    'order=%s: its 20-asset pages show every asset exactly once',
    async (order) => {
      const shown: string[] = [];
      const pages = Math.ceil(ASSETS.length / 20);
      for (let page = 1; page <= pages + 1; page++) {
        const res = await h.get(`/assets?order=${order}&page=${page}`, HTML);
        expect(res.status).toBe(200);
        // The page after the last says so and lists nothing.
        expect(res.text).toContain(
          page <= pages ? `${ASSETS.length} assets` : `Page ${page} is past the last page (${pages})`,
        );
        shown.push(...listed(res.text));
      }
      expect(shown).toEqual(expected(order));
    },
  );
});
