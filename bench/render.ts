/**
 * `npm run bench:render`: the time to render one ingested release (registry/ingest/render.ts, scope
 * `changed`: the release's own definitions and entry; the asset object is only marked stale) for an asset
 * with 10 versions against one with 1,000, in the same run, on embedded PGlite and on Postgres (when
 * reachable at BENCH_DATABASE_URL or the test server). Goal: 1,000 at most 1.5× 10 (issue 12: the render
 * of one release does not grow with the asset's version count). Shown beside it: what moved to the first
 * read of the asset object after the ingest (assembleAsset: every entry joined, hashed and stored, which
 * grows with the versions), and a full render (scope `all`: every version and the object).
 *
 *   npm run bench:render -- [--renders N] [--db pglite|postgres|both]
 */
import { parseArgs } from 'node:util';
import type { Db } from '../registry/db/port.js';
import { strongEtag } from '../registry/http/etags.js';
import { assembleAsset, renderAsset, type RenderContext } from '../registry/ingest/render.js';
import { registerAsset } from '../registry/store/assets.js';
import { saveGoodIngest, trackRelease, type GoodIngest } from '../registry/store/versions.js';
import { openTestDb } from '../test/registry/support/databases.js';
import { dbKindsOption } from './db-kinds.js';
import { median } from './stats.js';

const TARGET_RATIO = 1.5;
const SIZES = [10, 1_000] as const;
const ROUNDS = 5;
const CTX: RenderContext = {
  publicUrl: 'https://bonsai.example.com',
  artifactsUrl: 'https://cdn.example.com',
};

const { values } = parseArgs({
  options: {
    renders: { type: 'string', default: '30' },
    db: { type: 'string', default: 'both' },
  },
});
const renders = Number(values.renders);
if (!Number.isInteger(renders) || renders < 1) throw new Error('--renders must be a positive integer');
const kinds = dbKindsOption(values.db);

/** A release as ingest writes it: three builds (linux amd64 and arm64 mirrored, windows linked). */
function ingest(tag: string): GoodIngest {
  const sha = (c: string) => c.repeat(128);
  const build = (platform: string, arch: string, mirrored: boolean, c: string) => ({
    platform,
    arch,
    assetFilename: `check_${tag}_${platform}_${arch}.tar.gz`,
    sha512: sha(c),
    filters: [`entity.system.os == '${platform}'`, `entity.system.arch == '${arch}'`],
    size: 1_234_567,
    sourceUrl: `https://github.com/bench/check/releases/download/${tag}/check_${tag}_${platform}_${arch}.tar.gz`,
    mirrorPath: mirrored ? `${'c'.repeat(40)}/check_${tag}_${platform}_${arch}.tar.gz` : null,
  });
  return {
    fingerprint: `fp-${tag}`,
    commitSha: 'c'.repeat(40),
    annotations: { 'io.sensu.bonsai.readme': 'https://github.com/bench/check#readme' },
    labels: {},
    warnings: [],
    builds: [
      build('linux', 'amd64', true, 'a'),
      build('linux', 'arm64', true, 'b'),
      build('windows', 'amd64', false, 'c'),
    ],
  };
}

/** One asset with `n` served, rendered versions. */
async function seed(db: Db, n: number): Promise<number> {
  const { asset } = await registerAsset(db, 'bench', 'check', { tier: 'Community', tags: ['bench'] });
  await db.transaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      const tag = `1.${Math.floor(i / 100)}.${i % 100}`;
      const v = await trackRelease(tx, asset.id, tag, { releaseId: String(1000 + i), prerelease: false });
      await saveGoodIngest(tx, v.id, ingest(tag));
    }
    await renderAsset(tx, asset.id, CTX, 'all');
  });
  // The ETag the database computed is the one the HTTP layer would (strongEtag), or the bench is moot.
  const { rows } = await db.query<{ body: string; etag: string }>(
    'SELECT body, etag FROM assets WHERE id = $1',
    [asset.id],
  );
  if (strongEtag(rows[0]!.body) !== rows[0]!.etag) throw new Error("the stored ETag is not the body's");
  return asset.id;
}

class Rollback extends Error {}

type Measure = 'changed' | 'read' | 'all';
const MEASURES: readonly Measure[] = ['changed', 'read', 'all'];

/**
 * The median times of `renders` renders of one new release (ingest written, then rendered with `scope`),
 * each in a transaction rolled back after, so the asset keeps its version count. After a `changed`
 * render, also the first read's assembly of the object it left stale (`read`).
 */
async function timeRender(
  db: Db,
  assetId: number,
  scope: 'changed' | 'all',
): Promise<Partial<Record<Measure, number>>> {
  const times: Record<Measure, number[]> = { changed: [], read: [], all: [] };
  for (let i = 0; i < renders + 5; i++) {
    await db
      .transaction(async (tx) => {
        const v = await trackRelease(tx, assetId, '2.0.0', { releaseId: '99', prerelease: false });
        await saveGoodIngest(tx, v.id, ingest('2.0.0'));
        const start = performance.now();
        await renderAsset(tx, assetId, CTX, scope);
        const rendered = performance.now();
        if (scope === 'changed' && !(await assembleAsset(tx, assetId)))
          throw new Error('the ingest left no object to assemble: the bench is moot');
        if (i >= 5) {
          times[scope].push(rendered - start);
          if (scope === 'changed') times.read.push(performance.now() - rendered);
        }
        throw new Rollback();
      })
      .catch((err: unknown) => {
        if (!(err instanceof Rollback)) throw err;
      });
  }
  return Object.fromEntries(MEASURES.filter((m) => times[m].length > 0).map((m) => [m, median(times[m])]));
}

console.log(
  `render of one ingested release: median of ${ROUNDS} rounds' medians of ${renders} renders, sizes alternating (goal: 1,000 versions ≤ ${TARGET_RATIO}× 10)`,
);
for (const kind of kinds) {
  const opened: Awaited<ReturnType<typeof openTestDb>>[] = [];
  const assets: number[] = [];
  try {
    for (const n of SIZES) {
      const test = await openTestDb(kind);
      opened.push(test);
      assets.push(await seed(test.db, n));
    }
  } catch (err) {
    console.log(`${kind}: skipped (${err instanceof Error ? err.message : String(err)})`);
    for (const test of opened) await test.cleanup();
    continue;
  }
  const times: Record<Measure, [number[], number[]]> = { changed: [[], []], read: [[], []], all: [[], []] };
  for (let round = 0; round < ROUNDS; round++) {
    // Alternating which goes first, so neither always runs on a warmer machine.
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      for (const scope of ['changed', 'all'] as const) {
        const measured = await timeRender(opened[i]!.db, assets[i]!, scope);
        for (const m of MEASURES) if (measured[m] !== undefined) times[m][i]!.push(measured[m]);
      }
    }
  }
  const [small, large] = times.changed.map(median) as [number, number];
  const [readSmall, readLarge] = times.read.map(median) as [number, number];
  const [fullSmall, fullLarge] = times.all.map(median) as [number, number];
  const ratio = large / small;
  console.log(
    `${kind.padEnd(9)} ingest render: 10 versions: ${small.toFixed(2)} ms   1,000 versions: ${large.toFixed(2)} ms   ` +
      `${ratio.toFixed(2)}× ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'}\n` +
      `${''.padEnd(9)} first read after it (object assembled): ${readSmall.toFixed(2)} / ${readLarge.toFixed(2)} ms   ` +
      `full render: ${fullSmall.toFixed(2)} / ${fullLarge.toFixed(2)} ms`,
  );
  for (const test of opened) await test.cleanup();
}
