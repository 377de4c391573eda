import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sortVersions } from '../../bonsai-schema/index.js';
import type { Db, Queryable } from '../../registry/db/port.js';
import { strongEtag } from '../../registry/http/etags.js';
import { renderAsset, type RenderContext } from '../../registry/ingest/render.js';
import { getAsset, registerAsset } from '../../registry/store/assets.js';
import { markRemoved, markRestored, saveGoodIngest, trackRelease } from '../../registry/store/versions.js';
import { DB_KINDS, openTestDb, type TestDb } from './support/databases.js';

/**
 * Incremental render (issue 12): an ingested, removed or restored release renders only itself, and the
 * asset object it changes is the one a full render gives, byte for byte.
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

  /** Writes `change` and renders what changed in one transaction; returns the rows it wrote. */
  async function changeAndRender(change: (tx: Queryable) => Promise<unknown>): Promise<string[]> {
    const before = await rowVersions();
    await db.transaction(async (tx) => {
      await change(tx);
      await renderAsset(tx, assetId, CTX, 'changed');
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

  it('renders an ingested release by itself into the asset object a full render gives', async () => {
    const tags = ['1.0.0', '0.9.0', 'v1.0.0', '1.1.0-rc.1', '2.0.0'];
    for (const tag of tags) {
      // Only the ingested version's own rows are written (none of the others' is read or rewritten).
      expect(await ingest(tag)).toEqual([]);
    }
    const incremental = await stored();
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
    expect((await stored()).body).not.toContain('edited');
    await db.transaction((tx) => renderAsset(tx, assetId, CTX, 'all'));
    expect((await stored()).body).toContain('"io.sensu.bonsai.note":"edited"');
  });

  it('takes a removed release out and a restored one back without rendering the others', async () => {
    const before = await stored();
    const removed = await changeAndRender((tx) => markRemoved(tx, ids.get('1.0.0')!));
    expect(removed).toEqual([`v${ids.get('1.0.0')}`]);
    const without = await stored();
    expect(without.body).not.toContain('"version":"1.0.0"');
    expect(without.body).toContain('"version":"v1.0.0"');
    expect(without.etag).toBe(strongEtag(without.body));
    const restored = await changeAndRender((tx) => markRestored(tx, ids.get('1.0.0')!));
    expect(restored).toEqual([`v${ids.get('1.0.0')}`]);
    expect(await stored()).toEqual(before);
  });

  it('renders every version when the asset was rendered with other base URLs', async () => {
    const moved = { ...CTX, publicUrl: 'https://moved.example.test' };
    await db.transaction((tx) => renderAsset(tx, assetId, moved, 'changed'));
    const { rows } = await db.query<{ body: string }>(
      `SELECT body FROM versions WHERE asset_id = $1 AND body IS NOT NULL
       UNION ALL SELECT b.body FROM builds b JOIN versions v ON v.id = b.version_id WHERE v.asset_id = $1`,
      [assetId],
    );
    expect(rows).toHaveLength(18);
    for (const { body } of rows) expect(body).toContain(moved.publicUrl);
    expect((await stored()).body).not.toContain(CTX.publicUrl);
    expect((await getAsset(db, assetId))!.renderedWith).toBe(JSON.stringify(moved));
  });
});
