import { assetPageUrl, pathSegment } from '../../../bonsai-schema/index.js';
import { html, type Html } from '../html.js';
import { layout, searchForm } from '../layout.js';
import { PER_PAGE, type Facets, type ListFilters, type ListedAsset } from '../queries.js';

/** A result line, shared by the list and the home page. */
export function assetItem(base: string, a: ListedAsset, level: 'h2' | 'h3' = 'h3'): Html {
  const url = assetPageUrl(base, a);
  const heading = html`<a href="${url}">${a.namespace}/${a.name}</a>`;
  return html`<li>
    ${level === 'h2' ? html`<h2>${heading}</h2>` : html`<h3>${heading}</h3>`}
    <p>${a.description || html`<span class="muted">No description.</span>`}</p>
    <p class="muted">
      <span class="badge">${a.tier}</span
      >${a.latest ? html`latest <a href="${url}/versions/${pathSegment(a.latest)}">${a.latest}</a> · ` : ''}updated
      <time datetime="${a.updatedAt.toISOString()}">${a.updatedAt.toISOString().slice(0, 10)}</time
      >${a.tags.length > 0 ? html` · tags: ${a.tags.join(', ')}` : ''}
    </p>
  </li>`;
}

/** The query string of `f` with `page` (filters kept), for links. */
export function listQuery(f: ListFilters, page: number): string {
  const params = new URLSearchParams();
  if (f.search) params.set('q', f.search);
  for (const [key, values] of [
    ['tiers[]', f.tiers],
    ['platforms[]', f.platforms],
    ['archs[]', f.archs],
    ['tags[]', f.tags],
  ] as const)
    for (const v of values) params.append(key, v);
  if (f.order !== 'name') params.set('order', f.order);
  if (page > 1) params.set('page', String(page));
  const text = params.toString();
  return text ? `?${text}` : '';
}

function checkboxes(legend: string, key: string, values: string[], chosen: string[]): Html {
  if (values.length === 0) return html``;
  const lower = new Set(chosen.map((c) => c.toLowerCase()));
  return html`<fieldset>
    <legend>${legend}</legend>
    ${values.map((v, i) => {
      const id = `${key}-${i}`;
      return html`<label for="${id}"
        ><input
          type="checkbox"
          id="${id}"
          name="${key}[]"
          value="${v}"
          ${lower.has(v.toLowerCase()) ? html` checked` : ''}
        />
        ${v}</label
      >`;
    })}
  </fieldset>`;
}

const ORDERS = [
  ['name', 'Name'],
  ['recently_updated', 'Recently updated'],
  ['recently_added', 'Recently added'],
  ['most_downloaded', 'Most downloaded'],
] as const;

export interface ListPage {
  base: string;
  filters: ListFilters;
  facets: Facets;
  total: number;
  assets: ListedAsset[];
}

export function listPage(p: ListPage): Html {
  const f = p.filters;
  const pages = Math.max(1, Math.ceil(p.total / PER_PAGE));
  const filtered = f.search || f.tiers.length + f.platforms.length + f.archs.length + f.tags.length > 0;
  const first = (f.page - 1) * PER_PAGE + 1;
  const summary =
    p.total === 0
      ? 'No assets found'
      : p.assets.length === 0
        ? `Page ${f.page} is past the last page (${pages})`
        : `${p.total} asset${p.total === 1 ? '' : 's'}${p.total > PER_PAGE ? `, ${first}–${first + p.assets.length - 1} shown` : ''}`;
  const title = f.search ? `Search: ${f.search}` : 'Assets';
  return layout({
    base: p.base,
    title: f.page > 1 ? `${title} (page ${f.page})` : title,
    feed: { title: 'New asset versions', href: `${p.base}/assets.atom` },
    body: html`<h1>${title}</h1>
      <div class="layout">
        <form action="${p.base}/assets" method="get" aria-label="Filters">
          ${f.search ? html`<input type="hidden" name="q" value="${f.search}" />` : ''}
          ${checkboxes('Tier', 'tiers', p.facets.tiers, f.tiers)}
          ${checkboxes('Platform', 'platforms', p.facets.platforms, f.platforms)}
          ${checkboxes('Architecture', 'archs', p.facets.archs, f.archs)}
          ${checkboxes(
            'Tags',
            'tags',
            p.facets.tags.map((t) => t.tag),
            f.tags,
          )}
          <fieldset>
            <legend>Order</legend>
            ${ORDERS.map(([value, label]) => html`<label for="order-${value}"><input type="radio" id="order-${value}" name="order" value="${value}" ${f.order === value ? html` checked` : ''} /> ${label}</label>`)}
          </fieldset>
          <button type="submit">Apply filters</button>
          ${filtered ? html`<p><a href="${p.base}/assets">Clear all filters</a></p>` : ''}
        </form>
        <div>
          ${searchForm(p.base, f.search, 'list-q')}
          <p role="status" id="result-count">${summary}</p>
          ${
            p.assets.length > 0
              ? html`<ul class="results">
                  ${p.assets.map((a) => assetItem(p.base, a, 'h2'))}
                </ul>`
              : p.total === 0
                ? html`<p>
                    ${filtered ? html`Nothing matches${f.search ? html` “${f.search}”` : ''} with these filters. Try fewer words or filters, or <a href="${p.base}/assets">list every asset</a>.` : html`No asset has been ingested yet. An operator registers repositories with <code>bonsai registry add-repo OWNER/NAME</code>; their releases appear here once ingested.`}
                  </p>`
                : html`<p><a href="${p.base}/assets${listQuery(f, pages)}">Go to the last page</a></p>`
          }
          ${
            pages > 1
              ? html`<nav class="pages" aria-label="Pages">
                  ${f.page > 1 ? html`<a rel="prev" href="${p.base}/assets${listQuery(f, Math.min(f.page - 1, pages))}">Previous page</a>` : ''}
                  <span>Page ${f.page} of ${pages}</span>
                  ${f.page < pages ? html`<a rel="next" href="${p.base}/assets${listQuery(f, f.page + 1)}">Next page</a>` : ''}
                </nav>`
              : ''
          }
        </div>
      </div>`,
  });
}
