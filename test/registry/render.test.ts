import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sortVersions } from '../../bonsai-schema/index.js';
import { createMemoryCache } from '../../registry/cache/memory.js';
import type { Db, Queryable } from '../../registry/db/port.js';
import { strongEtag } from '../../registry/http/etags.js';
import { renderAsset, renderFingerprint, type RenderContext } from '../../registry/ingest/render.js';
import { renderIfStale } from '../../registry/ingest/rerender.js';
import { getAsset, registerAsset } from '../../registry/store/assets.js';
import { markRemoved, markRestored, saveGoodIngest, trackRelease } from '../../registry/store/versions.js';
import { DB_KINDS, openTestDb, type TestDb } from './support/databases.js';

/**
 * Incremental render (issue 12): an ingested, removed or restored release renders only itself and leaves
 * the asset object to its first read, which assembles the one a full render gives, byte for byte.
 */

const CTX: RenderContext = {
  publicUrl: 'https://bonsai.example.test',
  artifactsUrl: 'https://cdn.example.test',
};

describe.each(DB_KINDS)('render on %s', (kind) => {
  let t: TestDb;
  let db: Db;
  let assetId: number;
  const ids = new Map<string, number>();
  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    assetId = (await registerAsset(db, 'render', 'check', { tags: ['x'] })).asset.id;
  });
  afterAll(() => t?.cleanup());

  /** Every row version of the asset, its versions and builds (xmin changes when a row is written). */
  async function rowVersions(): Promise<Map<string, string>> {
    const { rows } = await db.query<{ key: string; x: string }>(
      `SELECT 'a' || id AS key, xmin::text AS x FROM assets WHERE id = $1
       UNION ALL SELECT 'v' || v.id, v.xmin::text FROM versions v WHERE v.asset_id = $1
       UNION ALL SELECT 'b' || b.id, b.xmin::text FROM builds b JOIN versions v ON v.id = b.version_id
       WHERE v.asset_id = $1`,
      [assetId],
    );
    return new Map(rows.map((r) => [r.key, r.x]));
  }

  /** What the last render sent to the database and got back (statements, parameters, rows). */
  let rendering: { sql: string; moved: string }[] = [];
  function recorded(tx: Queryable): Queryable {
    return {
      async query<T extends object>(sql: string, params?: Parameters<Queryable['query']>[1]) {
        const result = await tx.query<T>(sql, params);
        rendering.push({ sql, moved: JSON.stringify([params ?? [], result.rows]) });
        return result;
      },
    };
  }

  /** Writes `change` and renders what changed in one transaction; returns the rows it wrote. */
  async function changeAndRender(change: (tx: Queryable) => Promise<unknown>): Promise<string[]> {
    const before = await rowVersions();
    rendering = [];
    await db.transaction(async (tx) => {
      await change(tx);
      await renderAsset(recorded(tx), assetId, CTX, 'changed');
    });
    const after = await rowVersions();
    return [...after.keys()].filter((k) => k[0] !== 'a' && before.has(k) && before.get(k) !== after.get(k));
  }

  async function ingest(tag: string): Promise<string[]> {
    return changeAndRender(async (tx) => {
      const v = await trackRelease(tx, assetId, tag, { releaseId: tag, prerelease: false });
      ids.set(tag, v.id);
      await saveGoodIngest(tx, v.id, {
        fingerprint: tag,
        commitSha: 'c'.repeat(40),
        annotations: { 'io.sensu.bonsai.note': `"${tag}"` },
        labels: {},
        warnings: [],
        builds: ['amd64', 'arm64'].map((arch) => ({
          platform: 'linux',
          arch,
          assetFilename: `check_${tag}_${arch}.tar.gz`,
          sha512: 'ab'.repeat(64),
          filters: [],
          size: 10,
          sourceUrl: `https://example.test/${tag}/${arch}.tar.gz`,
          mirrorPath: `${'c'.repeat(40)}/check_${tag}_${arch}.tar.gz`,
        })),
      });
    });
  }

  async function stored() {
    const asset = (await getAsset(db, assetId))!;
    return { body: asset.body!, etag: asset.etag! };
  }

  /** The asset object as a read gets it: assembled first if an ingest left it stale (http/fresh.ts). */
  const reads = { cache: createMemoryCache({ maxEntries: 10, ttlSeconds: 60 }), urls: CTX };
  async function served() {
    await renderIfStale({ db, ...reads }, assetId);
    return stored();
  }

  it('renders an ingested release by itself into the asset object a full render gives', async () => {
    const tags = ['1.0.0', '0.9.0', 'v1.0.0', '1.1.0-rc.1', '2.0.0'];
    for (const tag of tags) {
      // Only the ingested version's own rows are written (none of the others' is read or rewritten).
      expect(await ingest(tag)).toEqual([]);
    }
    const incremental = await served();
    // go-version order; equal versions (1.0.0, v1.0.0) in the order they were ingested.
    const listed = (JSON.parse(incremental.body) as { versions: { version: string }[] }).versions;
    expect(listed.map((v) => v.version)).toEqual(['0.9.0', '1.0.0', 'v1.0.0', '1.1.0-rc.1', '2.0.0']);
    expect(sortVersions(tags)).toEqual(listed.map((v) => v.version));
    expect(JSON.stringify(JSON.parse(incremental.body))).toBe(incremental.body);
    expect(incremental.etag).toBe(strongEtag(incremental.body));
    // A full render (every sync does one) changes nothing: the same bytes, and no row written at all.
    const rows = await rowVersions();
    expect(await db.transaction((tx) => renderAsset(tx, assetId, CTX, 'all'))).toBe(false);
    expect(await stored()).toEqual(incremental);
    expect(await rowVersions()).toEqual(rows);

    // The other versions are not rendered again: data changed under one without a render stays unseen
    // until a full render.
    await db.query(`UPDATE versions SET annotations = '{"io.sensu.bonsai.note":"edited"}' WHERE id = $1`, [
      ids.get('0.9.0')!,
    ]);
    expect(await ingest('3.0.0')).toEqual([]);
    expect((await served()).body).not.toContain('edited');
    await db.transaction((tx) => renderAsset(tx, assetId, CTX, 'all'));
    expect((await stored()).body).toContain('"io.sensu.bonsai.note":"edited"');
  });

  it('takes a removed release out and a restored one back without rendering the others', async () => {
    const before = await served();
    const removed = await changeAndRender((tx) => markRemoved(tx, ids.get('1.0.0')!));
    expect(removed).toEqual([`v${ids.get('1.0.0')}`]);
    const without = await served();
    expect(without.body).not.toContain('"version":"1.0.0"');
    expect(without.body).toContain('"version":"v1.0.0"');
    expect(without.etag).toBe(strongEtag(without.body));
    const restored = await changeAndRender((tx) => markRestored(tx, ids.get('1.0.0')!));
    expect(restored).toEqual([`v${ids.get('1.0.0')}`]);
    expect(await served()).toEqual(before);
  });

  it('leaves the asset object to its first read, which assembles it; updated_at moves at the ingest', async () => {
    const before = (await getAsset(db, assetId))!;
    expect(before.bodyStale).toBe(false);
    const others = (JSON.parse(before.body!) as { versions: { version: string }[] }).versions.map(
      (v) => v.version,
    );
    expect(others.length).toBeGreaterThan(5);
    expect(await ingest('4.0.0')).toEqual([]);
    // Neither written nor read: the asset object, the other versions' entries and renders.
    expect(rendering.filter((s) => /UPDATE assets\b[\s\S]*\bbody\s*=/.test(s.sql))).toEqual([]);
    const moved = rendering.map((s) => s.moved).join('\n');
    expect(moved).toContain('check_4.0.0_amd64');
    for (const other of others) expect(moved).not.toContain(`check_${other}_`);
    const after = (await getAsset(db, assetId))!;
    expect({ body: after.body, etag: after.etag, stale: after.bodyStale }).toEqual({
      body: before.body,
      etag: before.etag,
      stale: true,
    });
    // Listed as updated (order=recently_updated) from the ingest on, not from the first read.
    expect(after.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime());

    const first = await served();
    expect(first.body).toContain('"version":"4.0.0"');
    expect(first.etag).toBe(strongEtag(first.body));
    const assembled = (await getAsset(db, assetId))!;
    expect(assembled.bodyStale).toBe(false);
    expect(assembled.updatedAt).toEqual(after.updatedAt);
    // The object a full render gives, byte for byte: it has nothing to write.
    const rows = await rowVersions();
    expect(await db.transaction((tx) => renderAsset(tx, assetId, CTX, 'all'))).toBe(false);
    expect(await stored()).toEqual(first);
    expect(await rowVersions()).toEqual(rows);
    // A change that leaves the object as it was (a release never served goes) is no update.
    await changeAndRender(async (tx) => {
      const v = await trackRelease(tx, assetId, '9.9.9', { releaseId: '9.9.9', prerelease: false });
      await markRemoved(tx, v.id);
    });
    expect((await getAsset(db, assetId))!).toMatchObject({ bodyStale: false, updatedAt: after.updatedAt });
  });

  it('lets concurrent reads of a stale asset object share one assembly', async () => {
    await ingest('3.0.0');
    expect((await getAsset(db, assetId))!.bodyStale).toBe(true);
    let transactions = 0;
    const counted: Db = {
      ...db,
      transaction: (fn) => {
        transactions++;
        return db.transaction(fn);
      },
    };
    const done = await Promise.all(
      Array.from({ length: 5 }, () => renderIfStale({ db: counted, ...reads }, assetId)),
    );
    expect(done).toEqual([true, true, true, true, true]);
    expect(transactions).toBe(1);
    expect((await stored()).body).toContain('"version":"3.0.0"');
  });

  it('reads the asset row once, with its lock, to assemble its object at the first read', async () => {
    await ingest('3.0.0');
    const recording: Db = { ...db, transaction: (fn) => db.transaction((tx) => fn(recorded(tx))) };
    rendering = [];
    expect(await renderIfStale({ db: recording, ...reads }, assetId)).toBe(true);
    expect((await getAsset(db, assetId))!.bodyStale).toBe(false);
    const assetRows = rendering.filter((s) => /^SELECT\b[\s\S]*\bFROM assets WHERE id = \$1\b/.test(s.sql));
    expect(assetRows.map((s) => s.sql)).toEqual([expect.stringMatching(/FOR UPDATE$/)]);
  });

  it('renders every version when the asset was rendered with other base URLs', async () => {
    const moved = { ...CTX, publicUrl: 'https://moved.example.test' };
    await db.transaction((tx) => renderAsset(tx, assetId, moved, 'changed'));
    const { rows } = await db.query<{ body: string }>(
      `SELECT body FROM versions WHERE asset_id = $1 AND body IS NOT NULL
       UNION ALL SELECT b.body FROM builds b JOIN versions v ON v.id = b.version_id WHERE v.asset_id = $1`,
      [assetId],
    );
    expect(rows).toHaveLength(21);
    for (const { body } of rows) expect(body).toContain(moved.publicUrl);
    expect((await stored()).body).not.toContain(CTX.publicUrl);
    expect((await getAsset(db, assetId))!.renderedWith).toBe(renderFingerprint(moved));
  });
});
