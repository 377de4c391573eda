import { createHash } from 'node:crypto';
import { renderFingerprint } from '../ingest/render.js';
import type { Cache } from './port.js';

/**
 * Cached responses embed the base URLs they were rendered with, and a Redis shared with another registry
 * process (a rolling deploy with a new PUBLIC_URL, or of a new build) may hold ones made with other URLs
 * or by another build. Every key of the HTTP layer's cache carries a short hash of the URLs and the render
 * format (ingest/render.ts renderFingerprint), so such an entry is never found: a build from before the
 * format was named serves the asset object an ingest left to be assembled as it was, and must not hand it
 * to the others through Redis. Groups stay as they are, so an invalidation still drops every entry of an
 * asset.
 */
export function keysForUrls(cache: Cache, urls: { publicUrl: string; artifactsUrl: string }): Cache {
  let made = { publicUrl: '', artifactsUrl: '', suffix: '' };
  // The URLs are fixed once the server listens; the hash is made again only if they change.
  const suffix = () => {
    if (made.publicUrl !== urls.publicUrl || made.artifactsUrl !== urls.artifactsUrl) {
      const hash = createHash('sha256').update(renderFingerprint(urls));
      made = { ...urls, suffix: `@${hash.digest('base64url').slice(0, 12)}` };
    }
    return made.suffix;
  };
  const tagged: Cache = {
    kind: cache.kind,
    description: cache.description,
    get: (group, key) => cache.get(group, key + suffix()),
    set: (group, key, value) => cache.set(group, key + suffix(), value),
    del: (group) => cache.del(group),
    wrap: (group, key, load) => cache.wrap(group, key + suffix(), load),
    stats: () => cache.stats(),
    close: () => cache.close(),
  };
  if (cache.wrapBytes) {
    const wrapBytes = cache.wrapBytes.bind(cache);
    tagged.wrapBytes = (group, key, load) => wrapBytes(group, key + suffix(), load);
  }
  if (cache.peek) {
    const peek = cache.peek.bind(cache);
    tagged.peek = (group, key) => peek(group, key + suffix());
  }
  if (cache.check) tagged.check = cache.check.bind(cache);
  return tagged;
}
