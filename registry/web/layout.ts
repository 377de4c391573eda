import { html, type Fragment, type Html } from './html.js';
import { COPY_SCRIPT, STYLESHEET } from './static.js';

export interface PageOptions {
  /** The registry's public base URL (links are absolute to it, so a path prefix works). */
  base: string;
  title: string;
  /** The search box's current text. */
  search?: string;
  feed?: { title: string; href: string };
  body: Fragment;
}

/** The one layout: skip link, site header with search, main, footer. */
export function layout(p: PageOptions): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${p.title} · Bonsai asset registry</title>
        <link rel="stylesheet" href="${p.base}${STYLESHEET.path}" />
        ${p.feed ? html`<link rel="alternate" type="application/atom+xml" title="${p.feed.title}" href="${p.feed.href}" />` : ''}
        <script src="${p.base}${COPY_SCRIPT.path}" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="site">
          <nav aria-label="Site">
            <a class="brand" href="${p.base}/">Bonsai asset registry</a>
            <a href="${p.base}/assets">Browse assets</a>
            <a href="${p.base}/api/v1/assets">API</a>
            <a href="https://docs.sensu.io/sensu-go/latest/plugins/assets/">Sensu asset docs</a>
          </nav>
        </header>
        <main id="main">${p.body}</main>
        <footer class="site">
          <p>
            Assets are served to <code>sensuctl</code>, <code>bonsai add</code> and Sensu agents from
            <a href="${p.base}/api/v1/assets">the Bonsai API</a>.
          </p>
        </footer>
      </body>
    </html> `;
}

/** The search form every listing page starts with. */
export function searchForm(base: string, value: string | undefined, id = 'q'): Html {
  return html`<form class="search" role="search" action="${base}/assets" method="get">
    <label for="${id}" class="visually-hidden">Search assets</label>
    <input
      type="search"
      id="${id}"
      name="q"
      value="${value ?? ''}"
      placeholder="Search by name, description or tag"
    />
    <button type="submit">Search</button>
  </form>`;
}
