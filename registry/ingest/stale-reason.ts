import { RENDER_FORMAT, type RenderContext } from './render.js';

/** How many stale assets carry one stored fingerprint (`assets.rendered_with`; null: never rendered). */
export interface StaleGroup {
  renderedWith: string | null;
  assets: number;
}

/** A set of stale renders as stored: the URLs they embed and the render format that made them. */
export interface RenderedFrom {
  publicUrl?: string;
  artifactsUrl?: string;
  format: number;
  assets: number;
}

export interface StaleReason {
  /** What the log says: `base URLs changed`, `render format changed`, both, or `never rendered`. */
  reason: string;
  /** Whether some of the assets were rendered before (then they are rendered "again"). */
  again: boolean;
  /** Assets rendered with other base URLs, by another render format (a count may hold both), never. */
  otherUrls: number;
  otherFormat: number;
  neverRendered: number;
  /** The most common stored fingerprints, at most five: where the renders come from. */
  from: RenderedFrom[];
}

/** The fingerprints the log lists: the deploys a stale database has seen are few. */
const MAX_FROM = 5;

/**
 * Why stale assets are stale, from what their renders were made with and what this process renders with:
 * other base URLs (PUBLIC_URL or ARTIFACTS_URL changed), another render format (a new build, ingest/render.ts
 * RENDER_FORMAT), or both; the start-up log says which, rather than blame the URLs for a new build.
 */
export function staleReason(groups: readonly StaleGroup[], urls: RenderContext): StaleReason {
  let otherUrls = 0;
  let otherFormat = 0;
  let neverRendered = 0;
  const from: RenderedFrom[] = [];
  for (const { renderedWith, assets } of groups) {
    if (renderedWith === null) {
      neverRendered += assets;
      continue;
    }
    const stored = parse(renderedWith);
    if (stored.publicUrl !== urls.publicUrl || stored.artifactsUrl !== urls.artifactsUrl) otherUrls += assets;
    if (stored.format !== RENDER_FORMAT) otherFormat += assets;
    from.push({ ...stored, assets });
  }
  const reasons = [otherUrls > 0 && 'base URLs', otherFormat > 0 && 'render format'].filter(Boolean);
  return {
    reason: reasons.length > 0 ? `${reasons.join(' and ')} changed` : 'never rendered',
    again: from.length > 0,
    otherUrls,
    otherFormat,
    neverRendered,
    // Most assets first; ties in a fixed order (the database groups in no particular one).
    from: from
      .sort(
        (a, b) =>
          b.assets - a.assets ||
          b.format - a.format ||
          (a.publicUrl ?? '').localeCompare(b.publicUrl ?? '') ||
          (a.artifactsUrl ?? '').localeCompare(b.artifactsUrl ?? ''),
      )
      .slice(0, MAX_FROM),
  };
}

/** A stored fingerprint (renderFingerprint); renders of format 1 carry only the URLs. */
function parse(renderedWith: string): Omit<RenderedFrom, 'assets'> {
  let value: unknown;
  try {
    value = JSON.parse(renderedWith);
  } catch {
    value = undefined;
  }
  const o = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    publicUrl: text(o.publicUrl),
    artifactsUrl: text(o.artifactsUrl),
    format: typeof o.format === 'number' ? o.format : 1,
  };
}
