import type { Logger } from 'pino';
import type { Cache } from '../cache/port.js';
import { invalidateAsset } from '../cache/names.js';
import type { Db, Queryable } from '../db/port.js';
import { messageOf } from '../errors.js';
import { getAssetToRender } from '../store/assets.js';
import { RENDER_URLS, readState, writeState } from '../store/state.js';
import {
  assembleAsset,
  RENDER_FORMAT,
  renderAsset,
  renderFingerprint,
  type RenderContext,
} from './render.js';
import { staleReason, type StaleGroup } from './stale-reason.js';

/**
 * Stale renders are never served. Renders made with other base URLs (PUBLIC_URL or ARTIFACTS_URL changed)
 * or by another render format (a new build, ingest/render.ts RENDER_FORMAT): the server answers at once;
 * a read of such an asset renders it first (renderIfStale), a background task renders the others in
 * bounded batches (rerenderStale), several processes on one database sharing the work. An asset object an
 * ingest marked stale (ingest/render.ts) is assembled by its first read (renderIfStale too), never in the
 * background.
 */

export interface RerenderDeps {
  db: Db;
  cache: Cache;
  urls: RenderContext;
}

interface StaleRow {
  id: number;
  namespace: string;
  name: string;
}

/**
 * The URL sets a process recorded as the newest (registry_state `render_urls`) when it started. Keyed by
 * the process's own `urls` object, which the runtime and the HTTP layer share.
 */
const recordedUrls = new WeakSet<RenderContext>();

/** Records `urls` as the newest base URLs: renders go toward them from now on. */
export async function recordRenderUrls(db: Db, urls: RenderContext): Promise<void> {
  await writeState(db, RENDER_URLS, renderFingerprint(urls));
  recordedUrls.add(urls);
}

/**
 * Whether another process recorded other URLs after this one started (the newer half of a rolling deploy
 * that changes PUBLIC_URL) and rendered the asset with them (`renderedWith`): its renders are served as
 * they are. Rendering them back would have the two processes re-render each other's assets on every read.
 * Before this process recorded its own URLs, the recorded ones are the old ones: it renders.
 */
async function renderedByNewer(q: Queryable, urls: RenderContext, renderedWith: string | null) {
  if (renderedWith === null || !recordedUrls.has(urls)) return false;
  return renderedWith === (await readState(q, RENDER_URLS));
}

/**
 * Renders the asset again if its stored renders carry other base URLs than `urls` (or an older render
 * format), else assembles its asset object if an ingest left it stale. Its row is locked first (before any
 * of its versions, the order of ingests: store/assets.ts lockAsset), so a concurrent ingest, or a render
 * by another process, is waited for, and then not repeated; reads in this process share one render.
 * Returns whether it rendered or assembled.
 */
export function renderIfStale(deps: RerenderDeps, assetId: number): Promise<boolean> {
  let running = inFlight.get(deps.db);
  if (!running) inFlight.set(deps.db, (running = new Map()));
  const known = running.get(assetId);
  if (known) return known;
  const work = renderNowIfStale(deps, assetId).finally(() => running.delete(assetId));
  running.set(assetId, work);
  return work;
}

/**
 * The renders of stale assets going on in this process, by database: many reads of one stale asset (a
 * burst of misses, list pages showing it) share one, instead of each holding a pooled connection while it
 * waits for the asset's row.
 */
const inFlight = new WeakMap<Db, Map<number, Promise<boolean>>>();

async function renderNowIfStale(deps: RerenderDeps, assetId: number): Promise<boolean> {
  const fingerprint = renderFingerprint(deps.urls);
  const done = await deps.db.transaction(async (tx) => {
    const row = await getAssetToRender(tx, assetId, 'for update');
    if (!row) return undefined;
    if (row.renderedWith !== fingerprint && !(await renderedByNewer(tx, deps.urls, row.renderedWith))) {
      await renderAsset(tx, assetId, deps.urls, 'all');
      return { row, rendered: true };
    }
    // The object of renders made by a newer process is assembled with their URLs, like the rest of them.
    // The row read with the lock is what assembleAsset would read (nothing else writes it meanwhile).
    if (row.bodyStale && (await assembleAsset(tx, row))) return { row, rendered: false };
    return undefined;
  });
  // The cached responses are dropped after a render. An assembled object only completes what the ingest
  // did (which dropped them): nothing was served from the stale one.
  if (done?.rendered) await invalidateAsset(deps.cache, done.row);
  return done !== undefined;
}

/** Renders each asset of `ids` that is stale (a page of the asset list); returns how many were. */
export async function renderAllIfStale(deps: RerenderDeps, ids: readonly number[]): Promise<number> {
  let rendered = 0;
  for (const id of ids) if (await renderIfStale(deps, id)) rendered++;
  return rendered;
}

export interface RerenderOptions {
  logger: Logger;
  /** Assets rendered per transaction. */
  batch: number;
  /** Stops between batches (server shutdown). */
  signal?: AbortSignal;
}

/**
 * Renders every stale asset again, `batch` at a time, each batch in one transaction that claims its
 * assets (`FOR UPDATE SKIP LOCKED`: assets another process is rendering are left to it), in id order from
 * where the last batch ended. Memory stays that of one batch whatever the asset count. Logs its progress;
 * a failed batch is logged and skipped (its assets are rendered when read, or by the next start). Returns
 * how many assets this process rendered.
 */
export async function rerenderStale(deps: RerenderDeps, options: RerenderOptions): Promise<number> {
  const fingerprint = renderFingerprint(deps.urls);
  const { logger } = options;
  const { rows } = await deps.db.query<StaleGroup>(
    `SELECT rendered_with AS "renderedWith", count(*)::int AS assets FROM assets
     WHERE rendered_with IS DISTINCT FROM $1 GROUP BY rendered_with`,
    [fingerprint],
  );
  const stale = rows.reduce((n, r) => n + r.assets, 0);
  if (stale === 0) return 0;
  // Says why (other base URLs, a new build's render format, or both), and from what to what.
  const { reason, again, ...why } = staleReason(rows, deps.urls);
  logger.info(
    { stale, ...deps.urls, format: RENDER_FORMAT, ...why },
    `${reason}: rendering definitions${again ? ' again' : ''} in the background`,
  );
  const started = Date.now();
  let after = 0;
  let done = 0;
  let failed = 0;
  let lastLog = started;
  while (!options.signal?.aborted) {
    let claimed: StaleRow[];
    try {
      claimed = await deps.db.transaction(async (tx) => {
        const batch = await tx.query<StaleRow>(
          `SELECT id, namespace, name FROM assets WHERE id > $1 AND rendered_with IS DISTINCT FROM $2
           ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED`,
          [after, fingerprint, options.batch],
        );
        for (const asset of batch.rows) await renderAsset(tx, asset.id, deps.urls, 'all');
        return batch.rows;
      });
    } catch (err) {
      // A deadlock with an ingest, a lost connection: these assets stay stale (rendered when read).
      const skipped = await deps.db
        .query<{ id: number }>(
          `SELECT id FROM assets WHERE id > $1 AND rendered_with IS DISTINCT FROM $2 ORDER BY id LIMIT $3`,
          [after, fingerprint, options.batch],
        )
        .catch(() => ({ rows: [] as { id: number }[] }));
      logger.warn(
        { err: messageOf(err), assets: skipped.rows.length },
        'background render failed: batch skipped',
      );
      if (skipped.rows.length === 0) break;
      failed += skipped.rows.length;
      after = skipped.rows.at(-1)!.id;
      continue;
    }
    if (claimed.length === 0) break;
    after = claimed.at(-1)!.id;
    done += claimed.length;
    for (const asset of claimed) await invalidateAsset(deps.cache, asset);
    if (Date.now() - lastLog >= 2_000) {
      lastLog = Date.now();
      logger.info({ rendered: done, stale }, 'background render: progress');
    }
    // Between batches, requests waiting for the database go first (PGlite runs one statement at a time).
    await new Promise((resolve) => setImmediate(resolve));
  }
  logger.info(
    { rendered: done, failed, stale, ms: Date.now() - started, stopped: options.signal?.aborted ?? false },
    `${reason}: definitions rendered${again ? ' again' : ''}`,
  );
  return done;
}
