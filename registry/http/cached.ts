import type { Cache } from '../cache/port.js';

/** A response as the cache keeps it: the stored render plus what the route needs to send it. */
export interface CachedResponse {
  body: string;
  etag: string;
  /** For the download counter. */
  assetId: number;
  /** Attachment file name (YAML downloads). */
  filename?: string;
}

/** One line of JSON metadata, then the body verbatim (no parse of the body on a hit). */
function encode(r: CachedResponse): string {
  const meta: Omit<CachedResponse, 'body'> = { etag: r.etag, assetId: r.assetId };
  if (r.filename !== undefined) meta.filename = r.filename;
  return `${JSON.stringify(meta)}\n${r.body}`;
}

export function decodeCached(entry: string): CachedResponse {
  const newline = entry.indexOf('\n');
  const meta = JSON.parse(entry.slice(0, newline)) as Omit<CachedResponse, 'body'>;
  return { ...meta, body: entry.slice(newline + 1) };
}

/** The cached response only (the fast path answers hits and leaves misses to the routes). */
export async function readCached(
  cache: Cache,
  group: string,
  key: string,
): Promise<CachedResponse | undefined> {
  const entry = await cache.get(group, key);
  return entry === undefined ? undefined : decodeCached(entry);
}

/** Cache first, then the store's pre-rendered bytes (DESIGN: data flow); undefined when there are none. */
export async function readThrough(
  cache: Cache,
  group: string,
  key: string,
  load: () => Promise<CachedResponse | undefined>,
): Promise<CachedResponse | undefined> {
  const entry = await cache.wrap(group, key, async () => {
    const loaded = await load();
    return loaded && encode(loaded);
  });
  return entry === undefined ? undefined : decodeCached(entry);
}
