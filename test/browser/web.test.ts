import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../registry/support/harness.js';
import { HOSTILE, fillWebRegistry } from '../registry/support/web-fixtures.js';
import { SCREENSHOTS, startChromium, type RunningBrowser } from './chromium.js';

/**
 * The web pages in real Chromium (issue 10), on a registry filled from the GitHub emulator: what a Sensu
 * operator does on bonsai.sensu.io, with and without JavaScript, in light and dark mode, on a phone;
 * hostile author data never runs; axe-core finds no serious or critical accessibility problem.
 */

const AXE_SOURCE = await fs.readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let h: Harness;
let chrome: RunningBrowser;
let base: string;
const dialogs: string[] = [];

beforeAll(async () => {
  [h, chrome] = await Promise.all([startHarness(), startChromium()]);
  base = h.registry.runtime.urls.publicUrl;
  await fillWebRegistry(h, 2);
  await fs.mkdir(SCREENSHOTS, { recursive: true });
}, 60_000);
afterAll(async () => {
  await chrome?.close();
  await h?.close();
});

async function newPage(options: { javascript?: boolean } = {}): Promise<Page> {
  const page = await chrome.browser.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.setJavaScriptEnabled(options.javascript ?? true);
  await page.setViewport({ width: 1200, height: 900 });
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function go(page: Page, url: string): Promise<number> {
  const res = await page.goto(url, { waitUntil: 'load' });
  return res?.status() ?? 0;
}

async function clickAndWait(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

/** A JavaScript expression evaluated in the page (the DOM's types are not this project's). */
const inPage = <T>(page: Page, expression: string) => page.evaluate(expression) as Promise<T>;

const text = (page: Page, selector: string) => page.$eval(selector, (e) => (e.textContent ?? '').trim());
const linkTexts = (page: Page, selector: string) =>
  page.$$eval(selector, (links) => links.map((a) => (a.textContent ?? '').trim()));

/** axe-core in the page (evaluated through the debugger protocol, so the page's CSP stays on). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const found = await inPage<{ id: string; impact: string; where: string[] }[]>(
    page,
    `axe.run().then((r) => r.violations.map((v) =>
      ({ id: v.id, impact: v.impact, where: v.nodes.map((n) => n.target.join(' ')) })))`,
  );
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}) at ${v.where.join(', ')}`);
}

describe('browsing as an operator', () => {
  it('search by name → asset → switch version → copy the install line', async () => {
    const page = await newPage();
    await chrome.browser
      .defaultBrowserContext()
      .overridePermissions(new URL(base).origin, [
        'clipboard-read',
        'clipboard-write',
        'clipboard-sanitized-write',
      ]);
    expect(await go(page, `${base}/`)).toBe(200);
    await shot(page, 'home');
    await page.type('#q', 'slack');
    await clickAndWait(page, 'form[role=search] button[type=submit]');
    expect(page.url()).toBe(`${base}/assets?q=slack`);
    expect(await text(page, '#result-count')).toBe('1 asset');
    await shot(page, 'search');

    await clickAndWait(page, 'ul.results a[href$="/assets/sensu/sensu-slack-handler"]');
    expect(await text(page, 'h1')).toBe('sensu/sensu-slack-handler');
    expect(await page.title()).toBe('sensu/sensu-slack-handler · Bonsai asset registry');
    expect(await text(page, '#install-bonsai')).toBe(
      `bonsai add sensu/sensu-slack-handler:1.0.0 --registry ${base}`,
    );
    expect(await text(page, '.readme h3')).toBe('Sensu Slack handler');
    await shot(page, 'asset');

    await clickAndWait(page, 'section[aria-labelledby=versions-h] a[href$="/versions/0.9.0"]');
    expect(await text(page, 'h1')).toBe('sensu/sensu-slack-handler 0.9.0');
    expect(await linkTexts(page, 'tbody th[scope=row]')).toEqual(['linux']);
    await shot(page, 'version');

    // The copy buttons appear only with JavaScript, and copy the whole line.
    const button = 'button[data-copy=install-bonsai]';
    expect(await page.$eval(button, (b) => b.hasAttribute('hidden'))).toBe(false);
    await page.click(button);
    await page.waitForFunction(`document.querySelector('${button}').textContent === 'Copied'`);
    expect(await inPage(page, 'navigator.clipboard.readText()')).toBe(
      `bonsai add sensu/sensu-slack-handler:0.9.0 --registry ${base}`,
    );
    await page.close();
  });

  it('search by tag, and filter by platform with JavaScript off', async () => {
    const page = await newPage({ javascript: false });
    await go(page, `${base}/`);
    await clickAndWait(page, 'p.tags a[href$="tags[]=handler"]');
    expect(await linkTexts(page, 'ul.results h2 a')).toEqual(['sensu/sensu-slack-handler']);

    await go(page, `${base}/assets`);
    expect(await page.$$eval('button.copy', (b) => b.length)).toBe(0);
    await page.click('input[name="platforms[]"][value="Windows"]');
    await clickAndWait(page, 'form[aria-label=Filters] button[type=submit]');
    expect(new URL(page.url()).searchParams.getAll('platforms[]')).toEqual(['Windows']);
    expect(await linkTexts(page, 'ul.results h2 a')).toEqual(['sensu/sensu-slack-handler']);
    expect(
      await page.$eval(
        'input[name="platforms[]"][value="Windows"]',
        (i) => (i as unknown as { checked: boolean }).checked,
      ),
    ).toBe(true);
    await shot(page, 'filtered-no-js');
    // Without JavaScript the install line is still there to select.
    await go(page, `${base}/assets/sensu/sensu-slack-handler`);
    expect(await page.$eval('button[data-copy=install-bonsai]', (b) => b.hasAttribute('hidden'))).toBe(true);
    expect(await text(page, '#install-create')).toBe(
      `sensuctl create -f ${base}/api/v1/assets/sensu/sensu-slack-handler/1.0.0/release_asset_builds`,
    );
    await page.close();
  });

  it('downloads the YAML definition, equal to the API definition; the served url annotation opens the page', async () => {
    const page = await newPage();
    const downloads = await fs.mkdtemp(path.join(os.tmpdir(), 'bonsai-downloads-'));
    try {
      const cdp = await page.createCDPSession();
      await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
      await go(page, `${base}/assets/sensu/sensu-slack-handler`);
      await page.click('a[href$="/release_assets/sensu/sensu-slack-handler/1.0.0/Windows/amd64/download"]');
      const file = path.join(downloads, 'sensu-sensu-slack-handler-1.0.0-Windows-amd64.yml');
      for (let i = 0; i < 100 && !(await fs.stat(file).catch(() => undefined)); i++)
        await new Promise((r) => setTimeout(r, 50));
      const downloaded = load(await fs.readFile(file, 'utf8'));
      const api = await h.get('/api/v1/assets/sensu/sensu-slack-handler/1.0.0/Windows/amd64/release_asset', {
        accept: 'application/json',
      });
      expect(downloaded).toEqual(api.json());

      const definition = (
        await h.get('/api/v1/assets/sensu/sensu-slack-handler/1.0.0/release_asset_builds')
      ).json() as {
        metadata: { annotations: Record<string, string> };
      };
      const pageUrl = definition.metadata.annotations['io.sensu.bonsai.url']!;
      expect(await go(page, pageUrl)).toBe(200);
      expect(await text(page, 'h1')).toBe('sensu/sensu-slack-handler');
    } finally {
      await page.close();
      await fs.rm(downloads, { recursive: true, force: true });
    }
  });
});

describe('hostile authors', () => {
  it('a README, description, tag and release notes full of script never run or break the page', async () => {
    const page = await newPage();
    for (const url of [`${base}/assets/evil/xss-asset/versions/1.0.0`, `${base}/`, `${base}/assets?q=safe`]) {
      expect(await go(page, url)).toBe(200);
      const state = await inPage(
        page,
        `({
          pwned: window.__pwned ?? null,
          injected: document.getElementById('injected') !== null,
          frames: document.querySelectorAll('iframe, svg, object, embed').length,
          javascriptLinks: [...document.querySelectorAll('a[href]')]
            .filter((a) => /^\\s*javascript:/i.test(a.getAttribute('href'))).length,
          handlers: [...document.querySelectorAll('*')]
            .filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
          scripts: document.scripts.length,
          mains: document.querySelectorAll('main').length,
        })`,
      );
      expect(state, url).toEqual({
        pwned: null,
        injected: false,
        frames: 0,
        javascriptLinks: 0,
        handlers: 0,
        scripts: 1,
        mains: 1,
      });
    }
    await go(page, `${base}/assets/evil/xss-asset/versions/1.0.0`);
    expect(await page.title()).toBe('evil/xss-asset 1.0.0 · Bonsai asset registry');
    expect(await text(page, 'main > p:nth-of-type(2)')).toBe(HOSTILE.description);
    expect(await linkTexts(page, '.tags a')).toEqual([HOSTILE.tag]);
    // Clicking the neutered links runs nothing either.
    for (const link of await page.$$('.readme a')) await link.click();
    expect(await inPage(page, 'window.__pwned ?? null')).toBeNull();
    await shot(page, 'hostile');
    expect(dialogs).toEqual([]);
    await page.close();
  });
});

describe('accessibility', () => {
  const pages = [
    ['home', '/'],
    ['list', '/assets'],
    ['empty-list', '/assets?q=nothing-at-all'],
    ['asset', '/assets/sensu/sensu-slack-handler'],
    ['version', '/assets/sensu/sensu-slack-handler/versions/1.0.0'],
    ['failed-version', '/assets/broken/bad-yml/versions/0.1.0'],
    ['not-found', '/no/such/page'],
  ] as const;

  it('axe-core finds no serious or critical violation, in light and dark mode, on a desktop and a phone', async () => {
    const page = await newPage();
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
      for (const [name, url] of pages) {
        await go(page, base + url);
        for (const v of await seriousViolations(page)) found.push(`${scheme} ${name}: ${v}`);
      }
    }
    await page.setViewport({ width: 375, height: 740, isMobile: true });
    for (const [name, url] of pages) {
      await go(page, base + url);
      const overflow = await inPage<number>(page, 'document.documentElement.scrollWidth - window.innerWidth');
      if (overflow > 0) found.push(`phone ${name}: ${overflow}px wider than the screen`);
      await shot(page, `phone-${name}`);
    }
    expect(found).toEqual([]);
    await page.close();
  }, 60_000);

  it('every page has one h1 and headings that never skip a level; the keyboard reaches the search first', async () => {
    const page = await newPage();
    for (const [name, url] of pages) {
      await go(page, base + url);
      const levels = await page.$$eval('h1, h2, h3, h4, h5, h6', (hs) => hs.map((x) => Number(x.tagName[1])));
      expect(
        levels.filter((l) => l === 1),
        name,
      ).toHaveLength(1);
      levels.forEach((l, i) =>
        expect(l - (levels[i - 1] ?? 0), `${name} heading ${i}`).toBeLessThanOrEqual(1),
      );
    }
    await go(page, `${base}/`);
    await page.keyboard.press('Tab');
    expect(await inPage(page, 'document.activeElement.textContent')).toBe('Skip to content');
    await page.close();
  });
});
