/**
 * `npm run bench:rerender`: a registry restarted with another PUBLIC_URL over N assets (issue 12: it used
 * to render every asset again before answering, 109 s and 675 MB at 10k). Seeds N assets rendered with the
 * old URL (3 versions of 2 builds each), starts `bonsai registry serve` with a new PUBLIC_URL as its own
 * process, and reports the time to the first answer (a definition of the asset the background reaches
 * last, so the read renders it), the time until the background render logs that it is done, and the
 * process's peak RSS (VmHWM), beside the same restart without a change of URL (what start-up costs
 * anyway). On embedded PGlite and on Postgres (BENCH_DATABASE_URL or the test server).
 *
 *   npm run bench:rerender -- [--assets N] [--db pglite|postgres|both]
 */
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Db } from '../registry/db/port.js';
import { renderAsset, type RenderContext } from '../registry/ingest/render.js';
import { registerAsset } from '../registry/store/assets.js';
import { saveGoodIngest, trackRelease } from '../registry/store/versions.js';
import { writeState } from '../registry/store/state.js';
import { openTestDb, type DbKind } from '../test/registry/support/databases.js';
import { dbKindsOption } from './db-kinds.js';
import { freePort } from '../test/registry/support/ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OLD: RenderContext = {
  publicUrl: 'https://old.example.com',
  artifactsUrl: 'https://old.example.com/artifacts',
};
const NEW_URL = 'https://new.example.com';

const { values } = parseArgs({
  options: {
    assets: { type: 'string', default: '10000' },
    db: { type: 'string', default: 'both' },
  },
});
const count = Number(values.assets);
if (!Number.isInteger(count) || count < 2) throw new Error('--assets must be an integer of at least 2');
const kinds = dbKindsOption(values.db);

/** The columns of `table` but `skip`, for copying rows with SQL. */
async function columns(db: Db, table: string, skip: string[]): Promise<string[]> {
  const { rows } = await db.query<{ column_name: string }>(
    'SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
    [table],
  );
  return rows.map((r) => r.column_name).filter((c) => !skip.includes(c));
}

/** One asset ingested and rendered with the old URLs, then copied (versions and builds too) to `n` assets. */
async function seed(db: Db, n: number): Promise<void> {
  const { asset } = await registerAsset(db, 'bench', 'check-0', {});
  await db.transaction(async (tx) => {
    for (const tag of ['1.0.0', '1.1.0', '2.0.0']) {
      const v = await trackRelease(tx, asset.id, tag, { releaseId: tag, prerelease: false });
      await saveGoodIngest(tx, v.id, {
        fingerprint: tag,
        commitSha: 'c'.repeat(40),
        annotations: {},
        labels: {},
        warnings: [],
        builds: ['amd64', 'arm64'].map((arch) => ({
          platform: 'linux',
          arch,
          assetFilename: `check_${tag}_linux_${arch}.tar.gz`,
          sha512: 'a'.repeat(128),
          filters: ["entity.system.os == 'linux'", `entity.system.arch == '${arch}'`],
          size: 1_000,
          sourceUrl: `https://github.com/bench/check/releases/download/${tag}/check_${tag}_linux_${arch}.tar.gz`,
          mirrorPath: `${'c'.repeat(40)}/check_${tag}_linux_${arch}.tar.gz`,
        })),
      });
    }
    await renderAsset(tx, asset.id, OLD, 'all');
  });
  const assetCols = (await columns(db, 'assets', ['id', 'namespace', 'name'])).join(', ');
  await db.query(
    `INSERT INTO assets (namespace, name, ${assetCols})
     SELECT 'bench', 'check-' || i, ${assetCols} FROM assets, generate_series(1, $2) AS i WHERE id = $1`,
    [asset.id, n - 1],
  );
  const versionCols = await columns(db, 'versions', ['id', 'asset_id']);
  await db.query(
    `INSERT INTO versions (asset_id, ${versionCols.join(', ')})
     SELECT a.id, ${versionCols.map((c) => `v.${c}`).join(', ')}
     FROM assets a JOIN versions v ON v.asset_id = $1 WHERE a.id <> $1`,
    [asset.id],
  );
  const buildCols = await columns(db, 'builds', ['id', 'version_id']);
  await db.query(
    `INSERT INTO builds (version_id, ${buildCols.join(', ')})
     SELECT nv.id, ${buildCols.map((c) => `b.${c}`).join(', ')}
     FROM versions nv JOIN versions tv ON tv.asset_id = $1 AND tv.tag = nv.tag
     JOIN builds b ON b.version_id = tv.id WHERE nv.asset_id <> $1`,
    [asset.id],
  );
  await writeState(db, 'render_urls', JSON.stringify(OLD));
  await db.query('ANALYZE');
}

/** Peak resident set of a process (Linux), in MiB. */
function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function run(kind: DbKind, publicUrl: string): Promise<void> {
  const test = await openTestDb(kind);
  const work = await mkdtemp(path.join(tmpdir(), 'bench-rerender-'));
  try {
    const seeding = performance.now();
    await seed(test.db, count);
    const seeded = performance.now() - seeding;
    // PGlite is one process's: the server opens the folder once the seed let go of it.
    if (kind === 'pglite') await test.db.close();
    const port = await freePort();
    const logFile = path.join(work, 'registry.log');
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'registry', 'serve'], {
      cwd: ROOT,
      stdio: ['ignore', openSync(logFile, 'a'), openSync(path.join(work, 'stderr.log'), 'a')],
      env: {
        PATH: process.env.PATH ?? '',
        ...test.env,
        ...(kind === 'pglite' ? {} : { DATA_DIR: work }),
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: publicUrl,
        GITHUB_API_URL: 'http://127.0.0.1:9',
        POLL_INTERVAL: '0',
        LOG_LEVEL: 'info',
        RATE_LIMIT_READS: '0',
      },
    });
    const last = `http://127.0.0.1:${port}/api/v1/assets/bench/check-${count - 1}/2.0.0/release_asset_builds`;
    let firstAnswer = 0;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the registry exited: see ${work}/stderr.log`);
      const res = await fetch(last).catch(() => undefined);
      if (res?.ok) {
        firstAnswer = performance.now() - started;
        const body = await res.text();
        if (!body.includes(publicUrl) || (publicUrl !== OLD.publicUrl && body.includes(OLD.publicUrl)))
          throw new Error('served the old URL');
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    let done = 0;
    for (; publicUrl !== OLD.publicUrl;) {
      if (readFileSync(logFile, 'utf8').includes('definitions rendered again')) {
        done = performance.now() - started;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const rss = peakRss(child.pid!);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const what = publicUrl === OLD.publicUrl ? 'same URL (baseline)' : 'new PUBLIC_URL';
    const background = done > 0 ? `, background render done after ${(done / 1000).toFixed(1)} s` : '';
    console.log(
      `${kind.padEnd(9)} ${what.padEnd(20)} ${count} assets (seeded in ${(seeded / 1000).toFixed(1)} s): first answer ` +
        `${(firstAnswer / 1000).toFixed(2)} s after start${background}, peak RSS ${rss.toFixed(0)} MiB`,
    );
  } finally {
    await test.cleanup().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

console.log(`restart with a new PUBLIC_URL over ${count} assets rendered with the old one`);
for (const kind of kinds) {
  try {
    // The same restart without a change of URL: what start-up costs anyway.
    await run(kind, OLD.publicUrl);
    await run(kind, NEW_URL);
  } catch (err) {
    console.log(`${kind}: failed (${err instanceof Error ? err.message : String(err)})`);
  }
}
