import { renderFingerprint } from '../ingest/render.js';
import { renderAllIfStale, renderIfStale } from '../ingest/rerender.js';
import type { HttpDeps } from './deps.js';

/**
 * Reads never serve a render made with other base URLs (after a PUBLIC_URL change, before the background
 * render reached the asset): such an asset is rendered again first, then read again. A read of a fresh
 * asset costs nothing more (its one query carries the URLs the renders embed).
 */

/** The loaded render, from a fresh render of its asset if the stored one carries other base URLs. */
export async function freshRender<T extends { assetId: number; renderedWith: string | null }>(
  deps: HttpDeps,
  load: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const found = await load();
  if (found === undefined || found.renderedWith === renderFingerprint(deps.urls)) return found;
  await renderIfStale(deps, found.assetId);
  return load();
}

/** A list page (`stale`: the ids of its assets rendered with other URLs), made of fresh renders. */
export async function freshPage<T extends { stale?: number[] }>(
  deps: HttpDeps,
  load: (fingerprint: string) => Promise<T>,
): Promise<T> {
  const fingerprint = renderFingerprint(deps.urls);
  const page = await load(fingerprint);
  if (!page.stale?.length) return page;
  await renderAllIfStale(deps, page.stale);
  return load(fingerprint);
}
