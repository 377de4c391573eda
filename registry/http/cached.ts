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

/**
 * One line of JSON metadata, then the body verbatim: a hit parses only the metadata, and the fast path
 * sends the body's stored bytes as they are.
 */
export function encodeCached(r: CachedResponse): string {
  const meta: Omit<CachedResponse, 'body'> = { etag: r.etag, assetId: r.assetId };
  if (r.filename !== undefined) meta.filename = r.filename;
  return `${JSON.stringify(meta)}\n${r.body}`;
}

export function decodeCached(entry: string): CachedResponse {
  const newline = entry.indexOf('\n');
  const meta = JSON.parse(entry.slice(0, newline)) as Omit<CachedResponse, 'body'>;
  return { ...meta, body: entry.slice(newline + 1) };
}

/** decodeCached over the stored bytes: the body stays those bytes (no UTF-8 decode and re-encode). */
export function decodeCachedBytes(entry: Buffer): Omit<CachedResponse, 'body'> & { body: Buffer } {
  const newline = entry.indexOf(10);
  const meta = JSON.parse(entry.toString('utf8', 0, newline)) as Omit<CachedResponse, 'body'>;
  return { ...meta, body: entry.subarray(newline + 1) };
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
    return loaded && encodeCached(loaded);
  });
  return entry === undefined ? undefined : decodeCached(entry);
}
