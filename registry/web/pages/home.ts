import { html, type Html } from '../html.js';
import { layout, searchForm } from '../layout.js';
import type { Counts, Facets, ListedAsset } from '../queries.js';
import { assetItem } from './list.js';

export interface HomePage {
  base: string;
  counts: Counts;
  recent: ListedAsset[];
  tags: Facets['tags'];
}

export function homePage(p: HomePage): Html {
  return layout({
    base: p.base,
    title: 'Home',
    feed: { title: 'New asset versions', href: `${p.base}/assets.atom` },
    body: html`<h1>Sensu assets</h1>
      <p>Find an asset, read its README, pick a version and a platform, and copy its install line.</p>
      ${searchForm(p.base, undefined)}
      <section aria-labelledby="counts-h">
        <h2 id="counts-h" class="visually-hidden">Counts</h2>
        <div class="stats">
          <div>${p.counts.assets}<span>assets</span></div>
          <div>${p.counts.versions}<span>versions</span></div>
          <div>${p.counts.builds}<span>builds</span></div>
        </div>
      </section>
      <section aria-labelledby="recent-h">
        <h2 id="recent-h">Recently updated</h2>
        ${
          p.recent.length > 0
            ? html`<ul class="results">
                  ${p.recent.map((a) => assetItem(p.base, a))}
                </ul>
                <p>
                  <a href="${p.base}/assets?order=recently_updated">All assets, recently updated first</a>
                </p>`
            : html`<p>No asset has been ingested yet.</p>`
        }
      </section>
      ${
        p.tags.length > 0
          ? html`<section aria-labelledby="tags-h">
              <h2 id="tags-h">Most used tags</h2>
              <p class="tags">
                ${p.tags.map((t) => html`<a href="${p.base}/assets?tags[]=${encodeURIComponent(t.tag)}">${t.tag}</a> <span class="muted">(${t.count})</span> `)}
              </p>
            </section>`
          : ''
      }
      <section aria-labelledby="api-h">
        <h2 id="api-h">For tools</h2>
        <p>
          The same data is served as JSON by <a href="${p.base}/api/v1/assets">the Bonsai API</a>, which
          <code>bonsai add</code> reads, and as an
          <a href="${p.base}/assets.atom">Atom feed of new versions</a>.
        </p>
      </section>`,
  });
}

export function notFoundPage(base: string, what: string): Html {
  return errorPage(base, 'Not found', what);
}

/** The 404 and 400 pages: what went wrong, and a way on. */
export function errorPage(base: string, title: string, what: string): Html {
  return layout({
    base,
    title,
    body: html`<h1>${title}</h1>
      <p>${what}</p>
      ${searchForm(base, undefined)}
      <p><a href="${base}/assets">Browse every asset</a></p>`,
  });
}

export type { Html };
