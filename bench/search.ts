/**
 * `npm run bench:search`: the p50 of a `q=` search of the asset list (the query behind
 * `/api/v1/assets?q=`, registry/store/assets.ts) with 10,000 assets against the same search with 100,
 * on embedded PGlite and on Postgres (when reachable at BENCH_DATABASE_URL or the test server), in the
 * same run. Target: 10k at most 1.5× the p50 at 100 (an index, not a read of every asset).
 *
 *   npm run bench:search -- [--searches N] [--db pglite|postgres|both]
 */
import { parseArgs } from 'node:util';
import type { Db } from '../registry/db/port.js';
import { listAssetBodies } from '../registry/store/assets.js';
import { openTestDb } from '../test/registry/support/databases.js';
import { dbKindsOption } from './db-kinds.js';
import { median } from './stats.js';

const TARGET_RATIO = 1.5;
const SIZES = [100, 10_000] as const;
const ROUNDS = 5;

const { values } = parseArgs({
  options: {
    searches: { type: 'string', default: '100' },
    db: { type: 'string', default: 'both' },
  },
});
const searches = Number(values.searches);
if (!Number.isInteger(searches) || searches < 1) throw new Error('--searches must be a positive integer');
const kinds = dbKindsOption(values.db);

const WORDS = ['disk', 'cpu', 'memory', 'http', 'slack', 'pagerduty', 'influx', 'graphite', 'process', 'ntp'];

/**
 * `n` assets named like real ones; one in 5,000 (at least one) has the rare word searched for, so both
 * sizes find about as many: what grows is only what the search must look through.
 */
async function seed(db: Db, n: number): Promise<void> {
  await db.query('DELETE FROM assets');
  await db.query(
    `INSERT INTO assets (namespace, name, description, github_url, tags, body)
     SELECT 'org-' || (i % 97),
            'sensu-' || (ARRAY[${WORDS.map((w) => `'${w}'`).join(',')}])[1 + i % 10] || '-' || CASE WHEN i % 5000 = 7 THEN 'zebra-' ELSE '' END || i,
            'A Sensu check for ' || (ARRAY[${WORDS.map((w) => `'${w}'`).join(',')}])[1 + (i / 10) % 10] || ' number ' || i,
            'https://github.com/org/x',
            json_build_array((ARRAY[${WORDS.map((w) => `'${w}'`).join(',')}])[1 + i % 10], 'sensu'),
            '{"name":"x"}'
     FROM generate_series(1, $1) AS i`,
    [n],
  );
  await db.query('ANALYZE assets');
}

/** The p50 of `searches` searches; also how many assets the search found. */
async function p50(db: Db): Promise<{ ms: number; total: number }> {
  let total = 0;
  const run = async () => {
    total = (await listAssetBodies(db, { start: 0, items: 10, order: 'name', search: 'zebra' })).total;
  };
  for (let i = 0; i < 20; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < searches; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return { ms: median(times), total };
}

console.log(
  `q=zebra (1 asset in 5,000 matches): median of ${ROUNDS} rounds' p50 of ${searches} searches, sizes alternating (goal: 10k ≤ ${TARGET_RATIO}× 100)`,
);
for (const kind of kinds) {
  const opened: Awaited<ReturnType<typeof openTestDb>>[] = [];
  try {
    for (const n of SIZES) {
      const test = await openTestDb(kind);
      opened.push(test);
      await seed(test.db, n);
    }
  } catch (err) {
    console.log(`${kind}: skipped (${err instanceof Error ? err.message : String(err)})`);
    for (const test of opened) await test.cleanup();
    continue;
  }
  const [small, large] = opened as [(typeof opened)[0], (typeof opened)[0]];
  const at100: number[] = [];
  const at10k: number[] = [];
  let found = [0, 0];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternating which goes first, so neither always runs on a warmer machine.
    const order = round % 2 === 0 ? [small, large] : [large, small];
    for (const test of order) {
      const result = await p50(test.db);
      (test === small ? at100 : at10k).push(result.ms);
      found[test === small ? 0 : 1] = result.total;
    }
  }
  const ratio = median(at10k) / median(at100);
  console.log(
    `${kind.padEnd(9)} 100 assets: ${median(at100).toFixed(2)} ms (${found[0]} found)   ` +
      `10k assets: ${median(at10k).toFixed(2)} ms (${found[1]} found)   ` +
      `${ratio.toFixed(2)}× ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'}`,
  );
  found = [0, 0];
  for (const test of opened) await test.cleanup();
}
