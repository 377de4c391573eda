import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';
import { bonsaiYml, publish } from './support/fixtures.js';
import { BULK, HOSTILE, LINUX, fillWebRegistry } from './support/web-fixtures.js';

/**
 * The HTML pages as a browser receives them (issue 10): status codes, content, escaping of hostile
 * author data, filters and pagination without JavaScript, caching, and the JSON API unchanged for every
 * client that does not ask for HTML.
 */

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
let h: Harness;
let base: string;

beforeAll(async () => {
  // PostgreSQL here; the browser suite runs the same pages on PGlite.
  h = await startHarness({ db: 'postgres' });
  base = h.registry.runtime.urls.publicUrl;
  await fillWebRegistry(h);
}, 120_000);
afterAll(() => h?.close());

/** A page with the whitespace around its tags removed (the templates' indentation is not content). */
export function flat(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\s*([<>])\s*/g, '$1');
}

async function page(path: string, headers: Record<string, string> = HTML) {
  const res = await h.get(path, headers);
  return { ...res, raw: res.text, text: flat(res.text) };
}

/** The names of the assets a list page shows, in order. */
function listed(text: string): string[] {
  return [...text.matchAll(/<h2><a href="[^"]*\/assets\/([^"/]+)\/([^"/]+)">/g)].map(
    (m) => `${m[1]}/${m[2]}`,
  );
}

describe('home and list pages', () => {
  it('/ shows the search box, counts, recent assets and tags, with the security headers', async () => {
    const res = await page('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(res.text).toContain('<title>Home · Bonsai asset registry</title>');
    expect(res.text).toMatch(/<input type="search" id="q" name="q"/);
    expect(res.text).toContain(`<div>${BULK + 3}<span>assets</span></div>`);
    expect(res.text).toContain(
      `href="${base}/assets?tags[]=bulk">bulk</a><span class="muted">(${BULK})</span>`,
    );
    expect(res.text).toContain(`href="${base}/api/v1/assets"`);
  });

  it('/assets lists 20 per page with a count and links to the next and previous pages', async () => {
    const first = await page('/assets');
    expect(first.status).toBe(200);
    expect(first.text).toContain(`${BULK + 3} assets, 1–20 shown`);
    expect(listed(first.text)).toHaveLength(20);
    expect(listed(first.text).slice(0, 2)).toEqual(['broken/bad-yml', 'bulk/check-01']);
    expect(first.text).toContain(`<a rel="next" href="${base}/assets?page=2">Next page</a>`);
    const second = await page('/assets?page=2');
    expect(listed(second.text)).toEqual([
      'bulk/check-20',
      'bulk/check-21',
      'evil/xss-asset',
      'sensu/sensu-slack-handler',
    ]);
    expect(second.text).toContain(`${BULK + 3} assets, 21–24 shown`);
    expect(second.text).toContain(`<a rel="prev" href="${base}/assets">Previous page</a>`);
    const past = await page('/assets?page=9');
    expect(past.status).toBe(200);
    expect(past.text).toContain('Page 9 is past the last page (2)');
  });

  it('filters by platform, arch, tier and tag as links and checkboxes that need no JavaScript', async () => {
    const windows = await page('/assets?platforms[]=windows');
    expect(listed(windows.text)).toEqual(['sensu/sensu-slack-handler']);
    expect(windows.text).toMatch(/name="platforms\[\]" value="Windows" checked \/>/);
    expect(listed((await page('/assets?archs[]=arm64')).text)).toEqual(['evil/xss-asset']);
    expect(listed((await page('/assets?tiers[]=Supported')).text)).toEqual(['sensu/sensu-slack-handler']);
    expect(listed((await page('/assets?tags=slack')).text)).toEqual(['sensu/sensu-slack-handler']);
    const bulk = await page('/assets?tags[]=bulk&q=check-2&platforms[]=linux');
    expect(listed(bulk.text)).toEqual(['bulk/check-20', 'bulk/check-21']);
    expect(bulk.text).toContain('2 assets');
    // The filters form keeps the search, and every filter is a plain GET form field.
    expect(bulk.text).toContain('<input type="hidden" name="q" value="check-2" />');
    const two = await page(`/assets?tags[]=bulk&order=recently_added`);
    expect(two.text).toContain(
      `<a rel="next" href="${base}/assets?tags%5B%5D=bulk&amp;order=recently_added&amp;page=2">`,
    );
  });

  it('searches by name, description and tag; an empty result says what to try', async () => {
    expect(listed((await page('/assets?q=slack')).text)).toEqual(['sensu/sensu-slack-handler']);
    expect(listed((await page('/assets?q=check-07')).text)).toEqual(['bulk/check-07']);
    const none = await page('/assets?q=no-such-thing');
    expect(none.status).toBe(200);
    expect(none.text).toContain('No assets found');
    expect(none.text).toContain('Nothing matches “no-such-thing” with these filters.');
    expect(none.text).toContain(`<a href="${base}/assets">list every asset</a>`);
  });
});

describe('asset and version pages', () => {
  const slack = '/assets/sensu/sensu-slack-handler';

  it('a browser gets the asset page: latest version, install lines, builds, README, versions', async () => {
    const res = await page(slack);
    expect(res.status).toBe(200);
    expect(res.headers.get('vary')).toContain('Accept');
    const t = res.text;
    expect(t).toContain('<title>sensu/sensu-slack-handler · Bonsai asset registry</title>');
    expect(t).toContain('<h1>sensu/sensu-slack-handler</h1>');
    expect(t).toContain('Sends Slack alerts');
    expect(t).toContain('<span class="badge">Supported</span>');
    // latest is the highest release, not the pre-release (as the API's `latest`).
    expect(t).toContain(`Latest version:<a href="${base}${slack}/versions/1.0.0">1.0.0</a>`);
    expect(t).toContain(`<code>bonsai add sensu/sensu-slack-handler:1.0.0 --registry ${base}</code>`);
    expect(t).toContain(
      `<code>sensuctl create -f ${base}/api/v1/assets/sensu/sensu-slack-handler/1.0.0/release_asset_builds</code>`,
    );
    expect(t).toContain('<code>sensuctl asset add sensu/sensu-slack-handler:1.0.0</code>');
    expect(t).toContain('<th scope="row">Windows</th><td>amd64</td>');
    expect(t).toContain(
      `href="${base}/release_assets/sensu/sensu-slack-handler/1.0.0/Windows/amd64/download"`,
    );
    // README rendered from Markdown, headings below the page's, relative links at the tag's commit.
    expect(t).toContain('<h3>Sensu Slack handler</h3>');
    expect(t).toMatch(
      /<a href="[^"]*\/sensu\/sensu-slack-handler\/blob\/[0-9a-f]{40}\/docs\/usage.md" rel="nofollow noopener noreferrer">the docs<\/a>/,
    );
    expect(t).toMatch(
      /<img src="[^"]*\/sensu\/sensu-slack-handler\/raw\/[0-9a-f]{40}\/img\/logo.png" alt="logo" \/>/,
    );
    expect(t).toMatch(/1\.1\.0-rc\.1<\/a><span class="badge pre">pre-release<\/span>/);
    expect(t.indexOf('>1.1.0-rc.1</a>')).toBeLessThan(t.indexOf('>0.9.0</a>'));
  });

  it('the builds table shows each sha512 shortened with the full digest, and the YAML link is the API definition', async () => {
    const t = (await page(slack)).text;
    const api = (
      await h.get('/api/v1/assets/sensu/sensu-slack-handler', { accept: 'application/json' })
    ).json() as {
      versions: { version: string; assets: { platform: string; asset_sha: string; asset_url: string }[] }[];
    };
    const linux = api.versions
      .find((v) => v.version === '1.0.0')!
      .assets.find((b) => b.platform === 'linux')!;
    expect(t).toContain(`<code>${linux.asset_sha.slice(0, 12)}…</code>`);
    expect(t).toContain(`<code id="sha-0" class="sha">${linux.asset_sha}</code>`);
    expect(t).toContain(`<a href="${linux.asset_url}">Archive`);
    const yaml = await h.get('/release_assets/sensu/sensu-slack-handler/1.0.0/linux/amd64/download');
    expect(yaml.status).toBe(200);
    expect(yaml.text).toContain(linux.asset_sha);
  });

  it('version pages: a tag, latest, the other v spelling, Bonsai underscores; with release notes', async () => {
    const exact = await page(`${slack}/versions/1.0.0`);
    expect(exact.status).toBe(200);
    expect(exact.text).toContain('<title>sensu/sensu-slack-handler 1.0.0 · Bonsai asset registry</title>');
    expect(exact.text).toContain('<h2 id="notes-h">Release notes</h2><h3>Changes</h3>');
    expect(exact.text).toContain('<strong>threads</strong>');
    for (const spelling of ['latest', 'v1.0.0', '1_0_0'])
      expect((await page(`${slack}/versions/${spelling}`)).text).toBe(exact.text);
    const pre = await page(`${slack}/versions/1.1.0-rc.1`);
    expect(pre.text).toContain('<code>bonsai add sensu/sensu-slack-handler:1.1.0-rc.1');
    const old = await page(`${slack}/versions/0.9.0`);
    expect(old.text).not.toContain('<th scope="row">Windows</th>');
    expect(old.text).toContain('<h3>sensu-slack-handler 0.9.0</h3>');
  });

  it('a release that failed to ingest shows its coded errors with bonsai.yml line numbers', async () => {
    const asset = await page('/assets/broken/bad-yml');
    expect(asset.status).toBe(200);
    expect(asset.text).toMatch(/0\.1\.0<\/a><span class="badge pre">not served<\/span>/);
    const res = await page('/assets/broken/bad-yml/versions/0.1.0');
    expect(res.status).toBe(200);
    expect(res.text).toContain('0.1.0 is not served: its ingest failed');
    expect(res.text).toMatch(
      /<code>bonsai\.yml:4(:\d+)?<\/code><strong>BUILD_MISSING_FIELD<\/strong>build #1 is missing a &#39;sha_filename&#39; value/,
    );
    expect(res.text).not.toContain('install-bonsai');
  });

  it('a served version whose tag moved to a broken commit shows the errors and what is still served', async () => {
    h.gh.state.commit('bulk/check-03', { files: { 'bonsai.yml': null }, tag: '1.0.0' });
    await h.sync('bulk/check-03');
    const t = (await page('/assets/bulk/check-03/versions/1.0.0')).text;
    expect(t).toContain('The last ingest of 1.0.0 failed');
    expect(t).toContain('CONFIG_NOT_FOUND');
    expect(t).toContain('install-bonsai');
    const [, tried, kept] =
      /at commit<code>(\w{12})<\/code>and refused it; it still serves the data of commit<code>(\w{12})<\/code>/.exec(
        t,
      )!;
    expect(tried).not.toBe(kept);
  });

  it('an asset without a README says so, as Bonsai does', async () => {
    h.gh.state.createRepo('plain/no-readme');
    await publish(h.gh, 'plain/no-readme', '1.0.0', { builds: [LINUX], readme: null });
    await h.addRepo('plain/no-readme');
    expect((await page('/assets/plain/no-readme')).text).toContain(
      '<p>There is no README file for this asset.</p>',
    );
  });

  it("bonsai.yml's overrides[0].readme_url picks the README, read from the repository at the tag", async () => {
    h.gh.state.createRepo('plain/override');
    h.gh.state.commit('plain/override', { files: { 'docs/FULL.md': '# The full manual\n' } });
    await publish(h.gh, 'plain/override', '1.0.0', {
      builds: [LINUX],
      yml:
        bonsaiYml([LINUX]) +
        'overrides:\n- readme_url: https://github.com/plain/override/blob/main/docs/FULL.md\n',
    });
    await h.addRepo('plain/override');
    const t = (await page('/assets/plain/override')).text;
    expect(t).toContain('<h3>The full manual</h3>');
    expect(t).not.toContain('plain/override 1.0.0</h3>');
  });

  it('hostile description, tag, README and release notes are escaped or sanitised', async () => {
    for (const path of [
      '/assets/evil/xss-asset',
      '/assets/evil/xss-asset/versions/1.0.0',
      '/',
      '/assets?page=2',
      '/assets?tags[]=' + encodeURIComponent(HOSTILE.tag),
    ]) {
      const t = (await page(path)).text;
      expect(t.match(/<script/g), path).toHaveLength(1); // our own copy script only
      expect(t, path).not.toMatch(/(href|src|action)="?\s*javascript:/i);
      expect(t, path).not.toMatch(/<[a-z]+(\s+[\w-]+(="[^"]*")?)*\s+on\w+=/i);
      expect(t, path).not.toMatch(/<(iframe|svg|style)/i);
      expect(t, path).not.toContain('id="injected"');
      expect(t.match(/<\/title>/g), path).toHaveLength(1);
      expect(t.match(/<\/main>/g), path).toHaveLength(1);
    }
    const t = (await page('/assets/evil/xss-asset/versions/1.0.0')).text;
    expect(t).toContain('Totally safe&lt;/title&gt;&lt;script&gt;');
    expect(t).toContain('&lt;img src=x onerror=&quot;window.__pwned=2&quot;&gt;');
    expect(t).toContain('<a rel="nofollow noopener noreferrer">also me</a>');
  });

  it('unknown assets and versions get the HTML 404 page with a search box', async () => {
    for (const path of [
      '/assets/nobody/nothing',
      `${slack}/versions/9.9.9`,
      '/no/such/page',
      '/release_assets/x/y/1/linux/amd64/download',
    ]) {
      const res = await page(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toBe('text/html; charset=utf-8');
      expect(res.text, path).toContain('<h1>Not found</h1>');
      expect(res.text, path).toContain('role="search"');
    }
  });
});

describe('API clients see what they saw before', () => {
  it('sensuctl, bonsai add and curl get the redirect to the API object at /assets/NS/NAME', async () => {
    for (const accept of ['application/json', '*/*', undefined]) {
      const res = await h.get('/assets/sensu/sensu-slack-handler', accept ? { accept } : {});
      expect(res.status, String(accept)).toBe(302);
      expect(res.headers.get('location')).toBe(`${base}/api/v1/assets/sensu/sensu-slack-handler`);
    }
    const missing = await h.get('/assets/nobody/nothing', { accept: 'application/json' });
    expect(missing.status).toBe(404);
    expect(missing.text).toBe('{"error_messages":["Resource does not exist."],"error_code":"NOT_FOUND"}');
  });

  it('API routes answer JSON even to a browser; unknown API paths keep the JSON 404', async () => {
    const json = await h.get('/api/v1/assets/sensu/sensu-slack-handler', { accept: 'application/json' });
    const browser = await h.get('/api/v1/assets/sensu/sensu-slack-handler', HTML);
    expect(browser.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(browser.text).toBe(json.text);
    const unknown = await h.get('/api/v1/nothing', HTML);
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe('{"error_messages":["Resource does not exist."],"error_code":"NOT_FOUND"}');
    const plain = await h.get('/no/such/page');
    expect(plain.text).toBe('{"error_messages":["Resource does not exist."],"error_code":"NOT_FOUND"}');
  });
});

describe('caching and feeds', () => {
  it('pages carry an ETag and answer 304; a new release shows up at once (ingest drops the pages)', async () => {
    const first = await page('/assets/sensu/sensu-slack-handler');
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toBe('public, max-age=60');
    expect((await page('/assets/sensu/sensu-slack-handler', { ...HTML, 'if-none-match': etag })).status).toBe(
      304,
    );
    const list = await page('/assets?q=slack');
    await publish(h.gh, 'sensu/sensu-slack-handler', '1.2.0', { builds: [LINUX], notes: 'New!' });
    await h.sync('sensu/sensu-slack-handler');
    const after = await page('/assets/sensu/sensu-slack-handler');
    expect(after.headers.get('etag')).not.toBe(etag);
    expect(after.text).toContain('<code>bonsai add sensu/sensu-slack-handler:1.2.0');
    expect((await page('/assets?q=slack')).text).not.toBe(list.text);
    expect((await page('/')).text).toContain('>1.2.0</a>');
  });

  it('serves Atom feeds of new versions, for all assets and for one', async () => {
    const all = await h.get('/assets.atom');
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    expect(all.text).toContain('<feed xmlns="http://www.w3.org/2005/Atom">');
    expect(all.text).toContain(
      `<link rel="alternate" type="text/html" href="${base}/assets/sensu/sensu-slack-handler/versions/1.0.0"/>`,
    );
    const one = await h.get('/assets/evil/xss-asset.atom');
    expect(one.status).toBe(200);
    expect(one.text).toContain('<title>evil/xss-asset 1.0.0</title>');
    expect(one.text).toContain('Totally safe&lt;/title&gt;');
    expect(one.text).not.toContain('sensu-slack-handler');
    expect((await h.get('/assets/nobody/nothing.atom', { accept: 'application/json' })).status).toBe(404);
  });

  it('the stylesheet and script are served under content-hashed names, cached for a year', async () => {
    const t = (await page('/')).text;
    const css = /href="[^"]*?(\/static\/style\.[0-9a-f]{12}\.css)"/.exec(t)![1]!;
    const js = /src="[^"]*?(\/static\/copy\.[0-9a-f]{12}\.js)"/.exec(t)![1]!;
    for (const path of [css, js]) {
      const res = await h.get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect((await h.get('/static/style.000000000000.css', HTML)).status).toBe(404);
  });
});

describe('no page answers 500, whatever the query string', () => {
  // Bad bytes (NUL, invalid UTF-8) are refused at the door for every route (INVALID_DATA); browsers get
  // that as a page. Anything else gives a page.
  const cases: [string, number][] = [
    ['/assets?page=-1', 200],
    ['/assets?page=abc', 200],
    ['/assets?page=99999999999999999999', 200],
    ['/assets?page[]=2&page[]=3', 200],
    ['/assets?q[]=a&q[x]=b', 200],
    ['/assets?q=%00', 400],
    ['/assets?q=%ED%A0%80', 400],
    ['/assets?q=%E0%A4%A', 400],
    ['/assets?q=' + 'x'.repeat(5000), 200],
    ['/assets?q=%25_%5C', 200],
    ['/assets?tags[]=%00&platforms[]=x', 400],
    ['/assets?platforms[]=' + encodeURIComponent('\'"); DROP TABLE assets;--'), 200],
    ['/assets?q=' + encodeURIComponent('\u{1F600} ünïcödé'), 200],
    ['/assets?' + Array.from({ length: 200 }, (_, i) => `archs[]=a${i}`).join('&'), 200],
    ['/assets?order=../../etc&tiers=%FF', 400],
    ['/?q=%00&page=x', 400],
    ['/assets/sensu/sensu-slack-handler?version=%00', 400],
    ['/assets/sensu%00/x', 400],
    ['/assets/%ED%A0%80/x', 400],
    ['/assets/sensu/sensu-slack-handler/versions/%00', 400],
    ['/assets/sensu/sensu-slack-handler/versions/' + 'v'.repeat(3000), 404],
    ['/assets/sensu/sensu-slack-handler/versions/%E0%A4%A', 400],
  ];
  it.each(cases)('%s → %i', async (path, status) => {
    const res = await page(path);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    if (status === 400) expect(res.text).toContain('<h1>Bad address</h1>');
  });

  it('the API keeps its JSON INVALID_DATA for the same bad bytes', async () => {
    const res = await h.get('/api/v1/assets?q=%00', HTML);
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ error_code: 'INVALID_DATA' });
    expect((await h.get('/assets?q=%00', { accept: 'application/json' })).json()).toMatchObject({
      error_code: 'INVALID_DATA',
    });
  });
});
