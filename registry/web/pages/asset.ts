import {
  assetPageUrl,
  pathSegment,
  releaseAssetBuildsUrl,
  releaseAssetUrl,
  type Diagnostic,
} from '../../../bonsai-schema/index.js';
import { SIGNATURE_ANNOTATION, SIGNATURE_URL_ANNOTATION } from '../../ingest/release.js';
import type { AssetRecord } from '../../store/assets.js';
import type { VersionDocs } from '../../store/version-docs.js';
import type { StoredBuild, VersionRecord } from '../../store/versions.js';
import { html, type Html } from '../html.js';
import { layout } from '../layout.js';
import { renderMarkdown } from '../markdown.js';

export interface VersionEntry {
  tag: string;
  prerelease: boolean;
  served: boolean;
}

export interface AssetPage {
  base: string;
  asset: AssetRecord;
  /** Every version worth listing, newest first. */
  versions: VersionEntry[];
  /** What `latest` resolves to; undefined when nothing is served. */
  latest: string | undefined;
  /** The version shown; undefined on an asset page with no served version. */
  version: VersionRecord | undefined;
  /** Its builds when served. */
  builds: StoredBuild[];
  docs: VersionDocs | undefined;
  /** The version page (`/versions/V`) rather than the asset page. */
  versionPage: boolean;
  /** An archive's URL as the API serves it (GitHub or the mirror). */
  archiveUrl(build: StoredBuild): string;
}

const ref = (p: AssetPage) => ({ namespace: p.asset.namespace, name: p.asset.name });

function versionUrl(p: AssetPage, tag: string): string {
  return `${assetPageUrl(p.base, ref(p))}/versions/${pathSegment(tag)}`;
}

function copyable(id: string, label: string, text: string): Html {
  return html`<div class="install">
    <pre id="${id}" aria-label="${label}"><code>${text}</code></pre>
    <button type="button" class="copy" data-copy="${id}" hidden>
      Copy<span class="visually-hidden"> ${label}</span>
    </button>
  </div>`;
}

function installLines(p: AssetPage, tag: string): Html {
  const full = `${p.asset.namespace}/${p.asset.name}:${tag}`;
  return html`<section aria-labelledby="install-h">
    <h2 id="install-h">Install ${tag}</h2>
    <p>With <code>bonsai add</code> (writes the definition for <code>sensuctl create -f</code>):</p>
    ${copyable('install-bonsai', 'bonsai add command', `bonsai add ${full} --registry ${p.base}`)}
    <p>With sensuctl alone, from the definition URL (nothing else to install):</p>
    ${copyable('install-create', 'sensuctl create command', `sensuctl create -f ${releaseAssetBuildsUrl(p.base, ref(p), tag)}`)}
    <p>
      With <code>sensuctl asset add</code>, which always asks bonsai.sensu.io: only when this asset is
      published there too.
    </p>
    ${copyable('install-sensuctl', 'sensuctl asset add command', `sensuctl asset add ${full}`)}
  </section>`;
}

/** Set only by the registry when the checksum file's signature verified against a namespace key. */
function signedBy(p: AssetPage): Html {
  const keyId = p.version?.annotations?.[SIGNATURE_ANNOTATION];
  if (!keyId) return html``;
  const url = p.version?.annotations?.[SIGNATURE_URL_ANNOTATION]?.split(', ')[0];
  return html`<p class="signed">
    Signed by key <code>${keyId}</code>${url ? html` (<a href="${url}">signature file</a>)` : ''}: the
    checksum file verified against this namespace's keys (<a
      href="${p.base}/api/v1/namespaces/${encodeURIComponent(p.asset.namespace)}/keys"
      >keys</a
    >).
  </p>`;
}

function buildsTable(p: AssetPage, tag: string): Html {
  if (p.builds.length === 0) return html``;
  return html`<section aria-labelledby="builds-h">
    <h2 id="builds-h">Builds of ${tag}</h2>
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">
          Builds of ${p.asset.name} ${tag} by platform and architecture
        </caption>
        <thead>
          <tr>
            <th scope="col">Platform</th>
            <th scope="col">Arch</th>
            <th scope="col">Filters</th>
            <th scope="col">SHA-512</th>
            <th scope="col">Downloads</th>
          </tr>
        </thead>
        <tbody>
          ${p.builds.map((b, i) => {
            const yaml = `${p.base}/release_assets/${[p.asset.namespace, p.asset.name, tag, b.platform, b.arch].map(pathSegment).join('/')}/download`;
            return html`<tr>
              <th scope="row">${b.platform}</th>
              <td>${b.arch}</td>
              <td>
                ${b.filters.length === 0 ? html`<span class="muted">none</span>` : b.filters.map((f) => html`<code>${f}</code><br />`)}
              </td>
              <td>
                <details>
                  <summary>
                    <code>${b.sha512.slice(0, 12)}…</code><span class="visually-hidden"> full digest</span>
                  </summary>
                  <code id="sha-${i}" class="sha">${b.sha512}</code>
                </details>
                <button type="button" class="copy" data-copy="sha-${i}" hidden>
                  Copy<span class="visually-hidden"> SHA-512 of ${b.platform} ${b.arch}</span>
                </button>
              </td>
              <td>
                <a href="${p.archiveUrl(b)}"
                  >Archive<span class="visually-hidden"> for ${b.platform} ${b.arch}</span></a
                >
                (${formatSize(b.size)})<br />
                <a href="${yaml}"
                  >Definition (YAML)<span class="visually-hidden"> for ${b.platform} ${b.arch}</span></a
                ><br />
                <a href="${releaseAssetUrl(p.base, ref(p), tag, b.platform, b.arch)}"
                  >JSON<span class="visually-hidden"> definition for ${b.platform} ${b.arch}</span></a
                >
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>
  </section>`;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function where(d: Diagnostic): string {
  const file = d.file ?? 'bonsai.yml';
  return d.line > 0 ? `${file}:${d.line}${d.column > 0 ? `:${d.column}` : ''}` : file;
}

/** The errors of the last ingest attempt; `stale`: older good data of the tag is still served. */
function failure(v: VersionRecord, stale = false): Html {
  const commit = v.attemptCommit ? html` at commit <code>${v.attemptCommit.slice(0, 12)}</code>` : '';
  return html`<section class="errors" aria-labelledby="errors-h">
    <h2 id="errors-h">
      ${stale ? `The last ingest of ${v.tag} failed` : `${v.tag} is not served: its ingest failed`}
    </h2>
    <p>
      The registry read this release${commit} and refused
      it${
        stale && v.commitSha
          ? html`; it still serves the data of commit <code>${v.commitSha.slice(0, 12)}</code>`
          : ''
      }.
      Fix these problems and publish a new release (or run <code>bonsai check</code> before releasing):
    </p>
    <ul>
      ${v.attemptErrors.map((d) => html`<li><code>${where(d)}</code> <strong>${d.code}</strong> ${d.message}</li>`)}
    </ul>
  </section>`;
}

function versionList(p: AssetPage): Html {
  return html`<section aria-labelledby="versions-h">
    <h2 id="versions-h">Versions</h2>
    ${
      p.versions.length === 0
        ? html`<p>No release of this asset has been ingested yet.</p>`
        : html`<ul>
            ${p.versions.map(
              (v) =>
                html`<li>
                  <a
                    href="${versionUrl(p, v.tag)}"
                    ${v.tag === p.version?.tag ? html` aria-current="page"` : ''}
                    >${v.tag}</a
                  >
                  ${v.prerelease ? html`<span class="badge pre">pre-release</span>` : ''}${v.tag === p.latest ? html`<span class="badge">latest</span>` : ''}${v.served ? '' : html`<span class="badge pre">not served</span>`}
                </li>`,
            )}
          </ul>`
    }
  </section>`;
}

function readme(p: AssetPage): Html {
  const docs = p.docs;
  const base = p.version?.commitSha
    ? { githubUrl: p.asset.githubUrl, commit: p.version.commitSha }
    : undefined;
  let body: Html;
  if (docs?.readme) body = renderMarkdown(docs.readme, base);
  else if (docs?.readmeFile)
    body = html`<p>
      The README (<code>${docs.readmeFile}</code>) is too large to show here: read it
      <a href="${p.asset.githubUrl}">on GitHub</a>.
    </p>`;
  else body = html`<p>There is no README file for this asset.</p>`;
  return html`<section class="readme" aria-labelledby="readme-h">
    <h2 id="readme-h">README</h2>
    ${body}
  </section>`;
}

export function assetPage(p: AssetPage): Html {
  const a = p.asset;
  const tag = p.version?.tag;
  const served = p.version !== undefined && p.builds.length > 0;
  const title = p.versionPage && tag ? `${a.namespace}/${a.name} ${tag}` : `${a.namespace}/${a.name}`;
  return layout({
    base: p.base,
    title,
    feed: { title: `New versions of ${a.namespace}/${a.name}`, href: `${assetPageUrl(p.base, ref(p))}.atom` },
    body: html`<p>
        <a href="${p.base}/assets">Assets</a> /
        <a href="${p.base}/assets?q=${encodeURIComponent(a.namespace)}">${a.namespace}</a
        >${p.versionPage ? html` / <a href="${assetPageUrl(p.base, ref(p))}">${a.name}</a>` : ''}
      </p>
      <h1>${title}</h1>
      <p>${a.description || html`<span class="muted">No description.</span>`}</p>
      <p>
        <span class="badge">${a.tier}</span
        >${a.deprecated ? html`<span class="badge pre">deprecated</span>` : ''}
        ${a.tags.length > 0 ? html`<span class="tags">Tags: ${a.tags.map((t) => html`<a href="${p.base}/assets?tags[]=${encodeURIComponent(t)}">${t}</a>`)}</span>` : ''}
      </p>
      <p>
        <a href="${a.githubUrl}">Source on GitHub</a
        >${p.latest ? html` · Latest version: <a href="${versionUrl(p, p.latest)}">${p.latest}</a>` : ''}
      </p>
      ${p.version?.attemptState === 'failed' ? failure(p.version, served) : ''}
      ${served && tag ? [installLines(p, tag), signedBy(p), buildsTable(p, tag)] : ''}
      ${
        p.versionPage && p.docs?.releaseNotes
          ? html`<section class="readme" aria-labelledby="notes-h">
              <h2 id="notes-h">Release notes</h2>
              ${renderMarkdown(p.docs.releaseNotes, p.version?.commitSha ? { githubUrl: a.githubUrl, commit: p.version.commitSha } : undefined)}
            </section>`
          : ''
      }
      ${versionList(p)} ${served ? readme(p) : ''}`,
  });
}
