import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryCache } from '../../registry/cache/memory.js';
import type { Db } from '../../registry/db/port.js';
import { RENDER_FORMAT, renderAsset, type RenderContext } from '../../registry/ingest/render.js';
import { renderIfStale } from '../../registry/ingest/rerender.js';
import { registerAsset } from '../../registry/store/assets.js';
import { markRemoved, saveGoodIngest, trackRelease, type NewBuild } from '../../registry/store/versions.js';
import { openTestDb, type TestDb } from './support/databases.js';

/**
 * The guard of RENDER_FORMAT (ingest/render.ts): stored renders of another format are rendered again,
 * so any change to the bytes a render makes must bump it, or an upgraded registry keeps serving the old
 * bytes beside the new ones. A fixed set of assets is rendered by the real code (an ingest's render, then
 * the first read's assembly) and the hash of every stored render is compared with the snapshot of this
 * format. Everything rendered is fixed here: base URLs, dates, data. (READMEs are not rendered: the web
 * pages show them as stored.)
 */

const FILE = 'test/registry/render-format.test.ts';

const TEACH =
  `render output changed: bump RENDER_FORMAT in registry/ingest/render.ts and update the snapshot ` +
  `(npx vitest run -u ${FILE}); if RENDER_FORMAT was just bumped, only update the snapshot`;

const CTX: RenderContext = {
  publicUrl: 'https://bonsai.example.test/registry',
  artifactsUrl: 'https://cdn.example.test/assets',
};

const COMMIT = '0123456789abcdef0123456789abcdef01234567';

interface Release {
  tag: string;
  prerelease?: boolean;
  annotations?: Record<string, string>;
  builds: Partial<NewBuild>[];
  /** ISO date of the ingest (the asset object's last_modified); null: none stored, created_at is used. */
  ingestedAt: string | null;
  /** Its release is gone from GitHub: not served. */
  removed?: boolean;
}

interface Fixture {
  namespace: string;
  name: string;
  settings: { description?: string; tier?: string; tags?: string[] };
  deprecated?: boolean;
  releases: Release[];
}

function build(platform: string, arch: string, tag: string, more: Partial<NewBuild> = {}): Partial<NewBuild> {
  const file = `check_${tag}_${platform}_${arch}.tar.gz`;
  return {
    platform,
    arch,
    assetFilename: file,
    sha512: createHash('sha512').update(file).digest('hex'),
    sourceUrl: `https://github.com/acme/check-disk/releases/download/${tag}/${file}`,
    mirrorPath: `${COMMIT}/${file}`,
    ...more,
  };
}

const FIXTURES: Fixture[] = [
  {
    namespace: 'acme',
    name: 'check-disk',
    settings: {
      description: 'Checks "disk" usage: ünïcode & <html>',
      tier: 'Supported',
      tags: ['disk', 'linux'],
    },
    releases: [
      {
        tag: '0.9.0',
        ingestedAt: '2024-01-02T03:04:05.678Z',
        builds: [
          build('linux', 'amd64', '0.9.0', {
            filters: ["entity.system.os == 'linux'", "entity.system.arch == 'amd64'"],
          }),
          // A mirrored file name that must be escaped in the URL.
          build('linux', 'arm64', '0.9.0', { mirrorPath: `${COMMIT}/check disk+arm64 #1.tar.gz` }),
          // Not mirrored: the GitHub download URL.
          build('windows', 'amd64', '0.9.0', { mirrorPath: null }),
        ],
      },
      {
        tag: 'v1.0.0',
        ingestedAt: '2024-02-03T04:05:06.000Z',
        annotations: {
          // Overrides a registry key in place; the others follow in file order, some needing YAML quotes.
          'io.sensu.bonsai.tier': 'Enterprise',
          'io.sensu.bonsai.notes': 'a: b # c',
          'io.sensu.bonsai.suggested_check': '- "quoted"\nsecond line',
          'io.sensu.bonsai.flag': 'true',
          'io.sensu.bonsai.number': '1.0',
        },
        builds: [
          build('linux', 'amd64', 'v1.0.0'),
          build('darwin', 'arm64', 'v1.0.0', { filters: ['true'] }),
        ],
      },
      {
        tag: '1.1.0-rc.1',
        prerelease: true,
        ingestedAt: null,
        builds: [build('linux', '386', '1.1.0-rc.1')],
      },
      // Neither is in the asset object: a tag sensuctl cannot read, a release removed from GitHub.
      { tag: 'latest', ingestedAt: '2024-03-01T00:00:00.000Z', builds: [build('linux', 'amd64', 'latest')] },
      {
        tag: '0.1.0',
        ingestedAt: '2023-12-01T00:00:00.000Z',
        removed: true,
        builds: [build('linux', 'amd64', '0.1.0')],
      },
    ],
  },
  {
    // No description, tier or tags, deprecated, no annotations.
    namespace: 'acme',
    name: 'legacy',
    settings: {},
    deprecated: true,
    releases: [
      { tag: '2.0.0', ingestedAt: '2022-06-07T08:09:10.111Z', builds: [build('linux', 'amd64', '2.0.0')] },
    ],
  },
];

/** Ingests the fixtures as a sync does: each release written and rendered in one transaction. */
async function ingestFixtures(db: Db): Promise<number[]> {
  const ids: number[] = [];
  for (const f of FIXTURES) {
    const assetId = (await registerAsset(db, f.namespace, f.name, f.settings)).asset.id;
    ids.push(assetId);
    if (f.deprecated) await db.query('UPDATE assets SET deprecated = true WHERE id = $1', [assetId]);
    for (const r of f.releases) {
      await db.transaction(async (tx) => {
        const v = await trackRelease(tx, assetId, r.tag, {
          releaseId: r.tag,
          prerelease: r.prerelease ?? false,
        });
        await saveGoodIngest(tx, v.id, {
          fingerprint: r.tag,
          commitSha: COMMIT,
          annotations: r.annotations ?? {},
          labels: {},
          warnings: [],
          builds: r.builds.map((b) => ({ filters: [], size: 1024, mirrorPath: null, ...b }) as NewBuild),
        });
        await tx.query(
          `UPDATE versions SET ingested_at = $2, created_at = '2021-05-06T07:08:09.010Z' WHERE id = $1`,
          [v.id, r.ingestedAt],
        );
        if (r.removed) await markRemoved(tx, v.id);
        await renderAsset(tx, assetId, CTX, 'changed');
      });
    }
  }
  return ids;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Every stored render (body and ETag), hashed, under a name that says which it is. */
async function renderHashes(db: Db): Promise<Record<string, string>> {
  const { rows } = await db.query<{ key: string; body: string | null; etag: string | null }>(
    `SELECT a.namespace || '/' || a.name AS key, a.body, a.etag FROM assets a
     UNION ALL
     SELECT a.namespace || '/' || a.name || ':' || v.tag || ' entry', v.entry, NULL
     FROM versions v JOIN assets a ON a.id = v.asset_id
     UNION ALL
     SELECT a.namespace || '/' || a.name || ':' || v.tag, v.body, v.etag
     FROM versions v JOIN assets a ON a.id = v.asset_id
     UNION ALL
     SELECT a.namespace || '/' || a.name || ':' || v.tag || ' ' || b.platform || '/' || b.arch || ' json',
       b.body, b.etag
     FROM builds b JOIN versions v ON v.id = b.version_id JOIN assets a ON a.id = v.asset_id
     UNION ALL
     SELECT a.namespace || '/' || a.name || ':' || v.tag || ' ' || b.platform || '/' || b.arch || ' yaml',
       b.yaml, b.yaml_etag
     FROM builds b JOIN versions v ON v.id = b.version_id JOIN assets a ON a.id = v.asset_id`,
  );
  const hashes: Record<string, string> = {};
  for (const r of rows.sort((x, y) => (x.key < y.key ? -1 : 1))) {
    // Versions not served have no render: they are listed too, so that one starting to render counts.
    hashes[r.key] = r.body === null ? 'none' : sha256(`${r.etag ?? ''}\n${r.body}`);
  }
  return hashes;
}

describe('render format', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('pglite');
  });
  afterAll(() => t?.cleanup());

  it('changes its bytes only with RENDER_FORMAT', async () => {
    const ids = await ingestFixtures(t.db);
    // The first read assembles the asset object an ingest left stale (ingest/rerender.ts).
    const reads = { db: t.db, cache: createMemoryCache({ maxEntries: 10, ttlSeconds: 60 }), urls: CTX };
    for (const id of ids) await renderIfStale(reads, id);
    const { rows } = await t.db.query<{ body: string; body_stale: boolean }>(
      'SELECT body, body_stale FROM assets ORDER BY id',
    );
    // The fixtures render what they mean to: three versions served, the others not.
    const listed = rows.map((r) => (JSON.parse(r.body) as { versions: { version: string }[] }).versions);
    expect(listed.map((vs) => vs.map((v) => v.version))).toEqual([
      ['0.9.0', 'v1.0.0', '1.1.0-rc.1'],
      ['2.0.0'],
    ]);
    expect(rows.map((r) => r.body_stale)).toEqual([false, false]);

    expect(await renderHashes(t.db), TEACH).toMatchSnapshot(`render format ${RENDER_FORMAT}`);
  });
});
