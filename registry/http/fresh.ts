import { renderFingerprint } from '../ingest/render.js';
import { renderAllIfStale, renderIfStale } from '../ingest/rerender.js';
import { rendersStale } from '../store/assets.js';
import type { HttpDeps } from './deps.js';

/**
 * Reads never serve a stale render: one made with other base URLs (after a PUBLIC_URL change, before the
 * background render reached the asset), or an asset object an ingest left to assemble (ingest/render.ts).
 * Such an asset is rendered (or its object assembled) first, then read again. A read of a fresh asset
 * costs nothing more (its one query carries the URLs the renders embed, and whether the object is stale).
 */

/**
 * The loaded render, from a fresh render of its asset if the stored one carries other base URLs, or is an
 * asset object to assemble (`bodyStale`: given by loads of the asset object only; a definition's render
 * does not depend on it).
 */
export async function freshRender<
  T extends { assetId: number; renderedWith: string | null; bodyStale?: boolean },
>(deps: HttpDeps, load: () => Promise<T | undefined>): Promise<T | undefined> {
  const found = await load();
  if (found === undefined || !rendersStale(found, renderFingerprint(deps.urls))) return found;
  await renderIfStale(deps, found.assetId);
  return load();
}

/**
 * A list page (`stale`: the ids of its assets rendered with other URLs or with an object to assemble),
 * made of fresh renders.
 */
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
