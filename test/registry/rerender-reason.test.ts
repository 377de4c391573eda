import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryCache } from '../../registry/cache/memory.js';
import type { Db } from '../../registry/db/port.js';
import {
  RENDER_FORMAT,
  renderAsset,
  renderFingerprint,
  type RenderContext,
} from '../../registry/ingest/render.js';
import { rerenderStale } from '../../registry/ingest/rerender.js';
import { registerAsset } from '../../registry/store/assets.js';
import { saveGoodIngest, trackRelease } from '../../registry/store/versions.js';
import { DB_KINDS, openTestDb, type TestDb } from './support/databases.js';

/**
 * The start-up log of the background render says why the assets are stale: other base URLs, a new
 * build's render format, or both (not "base URLs changed" for a new build), and from what.
 */

const CTX: RenderContext = {
  publicUrl: 'https://bonsai.example.test',
  artifactsUrl: 'https://cdn.example.test',
};
const OLD: RenderContext = {
  publicUrl: 'https://old-bonsai.example.test',
  artifactsUrl: 'https://old-cdn.example.test',
};

/** What a build before RENDER_FORMAT (format 1) stored: the URLs only. */
const format1 = (urls: RenderContext) =>
  JSON.stringify({ publicUrl: urls.publicUrl, artifactsUrl: urls.artifactsUrl });

interface Line {
  msg: string;
  [field: string]: unknown;
}

describe.each(DB_KINDS)('background render log on %s', (kind) => {
  let t: TestDb;
  let db: Db;
  const ids: number[] = [];
  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    for (const name of ['a', 'b']) {
      const id = (await registerAsset(db, 'why', name, {})).asset.id;
      ids.push(id);
      await db.transaction(async (tx) => {
        const v = await trackRelease(tx, id, '1.0.0', { releaseId: '1', prerelease: false });
        await saveGoodIngest(tx, v.id, {
          fingerprint: 'f',
          commitSha: 'c'.repeat(40),
          annotations: {},
          labels: {},
          warnings: [],
          builds: [
            {
              platform: 'linux',
              arch: 'amd64',
              assetFilename: 'x.tar.gz',
              sha512: 'ab'.repeat(64),
              filters: [],
              size: 1,
              sourceUrl: 'https://example.test/x.tar.gz',
              mirrorPath: `${'c'.repeat(40)}/x.tar.gz`,
            },
          ],
        });
        await renderAsset(tx, id, CTX, 'changed');
      });
    }
  });
  afterAll(() => t?.cleanup());

  /** Stores renders of asset `i` made with `urls` (by this build), or only its fingerprint. */
  async function renderedWith(i: number, urls: RenderContext | string): Promise<void> {
    if (typeof urls === 'string') {
      await db.query('UPDATE assets SET rendered_with = $2 WHERE id = $1', [ids[i]!, urls]);
    } else {
      await db.transaction((tx) => renderAsset(tx, ids[i]!, urls, 'all'));
    }
  }

  /** Runs the background render with CTX; returns its first and last log lines. */
  async function rerender(): Promise<{ start: Line; end: Line }> {
    const lines: Line[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Line) });
    const cache = createMemoryCache({ maxEntries: 10, ttlSeconds: 60 });
    await rerenderStale({ db, cache, urls: CTX }, { logger, batch: 10 });
    expect(lines.length).toBeGreaterThanOrEqual(2);
    // Every asset is rendered with CTX by this build afterwards.
    const { rows } = await db.query<{ rendered_with: string }>('SELECT rendered_with FROM assets');
    expect(rows.map((r) => r.rendered_with)).toEqual(rows.map(() => renderFingerprint(CTX)));
    return { start: lines[0]!, end: lines.at(-1)! };
  }

  it('says a new render format, not base URLs, when only the build changed', async () => {
    await renderedWith(0, format1(CTX));
    const { start, end } = await rerender();
    expect(start).toMatchObject({
      msg: 'render format changed: rendering definitions again in the background',
      stale: 1,
      ...CTX,
      format: RENDER_FORMAT,
      otherUrls: 0,
      otherFormat: 1,
      neverRendered: 0,
      from: [{ ...CTX, format: 1, assets: 1 }],
    });
    expect(end).toMatchObject({ msg: 'render format changed: definitions rendered again', rendered: 1 });
  });

  it('says base URLs when only they changed', async () => {
    await renderedWith(1, OLD);
    const { start, end } = await rerender();
    expect(start).toMatchObject({
      msg: 'base URLs changed: rendering definitions again in the background',
      stale: 1,
      ...CTX,
      otherUrls: 1,
      otherFormat: 0,
      from: [{ ...OLD, format: RENDER_FORMAT, assets: 1 }],
    });
    expect(end).toMatchObject({ msg: 'base URLs changed: definitions rendered again', rendered: 1 });
  });

  it('says both when a new build also moved the base URLs', async () => {
    await renderedWith(0, format1(OLD));
    await renderedWith(1, format1(OLD));
    const { start, end } = await rerender();
    expect(start).toMatchObject({
      msg: 'base URLs and render format changed: rendering definitions again in the background',
      stale: 2,
      otherUrls: 2,
      otherFormat: 2,
      from: [{ ...OLD, format: 1, assets: 2 }],
    });
    expect(end).toMatchObject({ msg: 'base URLs and render format changed: definitions rendered again' });
  });

  it('says so when an asset was never rendered', async () => {
    ids.push((await registerAsset(db, 'why', 'new', {})).asset.id);
    await renderedWith(0, OLD);
    const { start } = await rerender();
    expect(start).toMatchObject({
      msg: 'base URLs changed: rendering definitions again in the background',
      stale: 2,
      otherUrls: 1,
      neverRendered: 1,
    });
    await db.query('UPDATE assets SET rendered_with = NULL WHERE id = $1', [ids[2]!]);
    expect((await rerender()).start).toMatchObject({
      msg: 'never rendered: rendering definitions in the background',
      stale: 1,
      neverRendered: 1,
      from: [],
    });
  });
});
