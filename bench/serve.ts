/**
 * `npm run bench:serve`: every serving row of issue 12 in one table. Each row is measured with wrk
 * against `bonsai registry serve` and, alternating in the same run, against nginx serving the row's
 * own bytes as a static file; it prints req/s, p99, the ratio to nginx and whether the goal is met.
 *
 *   npm run bench:serve -- [--rounds N] [--seconds S] [--connections C] [--versions V] [--only TEXT]
 *
 * Fair terms on a small machine: the registry is one Node process, so nginx runs one worker with
 * access_log off; wrk uses one thread. The registry runs with LOG_LEVEL=warn except in the logging row,
 * which compares LOG_LEVEL=info (log lines to a file) with warn. Misses run the registry with a
 * one-entry in-process cache (CACHE_SIZE=1) while wrk cycles through many spellings of the same build
 * (platform and arch match case-insensitively; each spelling is its own cache entry), so every request
 * is a miss. Releases come from the GitHub emulator; Postgres is PGHOST's, Redis a redis-server of the
 * bench's own. One row without a goal runs a bare node:http server on the cached definition's bytes
 * (bench/node-static.ts): the most one Node process serves, against which the cached rows read.
 * The last column is the CPU time each server process spent per request (/proc; the registry's threads
 * included, Postgres and Redis not), ours against the reference: it moves far less than req/s when other
 * work shares the machine, so read it beside the ratio.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startGitHubEmulator } from '../test/github-emulator/index.js';
import { publish } from '../test/registry/support/fixtures.js';
import { freePort } from '../test/registry/support/ports.js';
import { createTestDatabase } from '../test/registry/support/postgres.js';
import { startOwnRedis } from '../test/registry/support/redis-server.js';
import { median } from './stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `npm run bench:serve -- [--rounds N] [--seconds S] [--connections C] [--versions V] [--only TEXT]

  --rounds N       rounds per row, registry and nginx alternating; medians (default 3)
  --seconds S      seconds per wrk run (default 5)
  --connections C  wrk connections (default 32)
  --versions V     releases of the big asset (default 41: a 70 KB asset object)
  --only TEXT      only the rows whose name contains TEXT (e.g. "embedded PGlite": the embedded misses)

Runs the compiled CLI (npm run build first); BENCH_TSX=1 runs the sources through tsx instead.
BENCH_PROF=DIR writes a CPU profile of each registry process there (node --cpu-prof).
Load generator: wrk -t1 --latency. Reference: nginx, one worker, access_log off, serving each row's
bytes as a static file, measured in the same run. Needs wrk, nginx, Postgres (PGHOST or 127.0.0.1)
and redis-server.`;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    versions: { type: 'string', default: '41' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const versionCount = Number(values.versions);
/** Whether a row is measured (`--only`); a registry starts only when one of its rows is. */
const wanted = (...names: string[]): boolean =>
  values.only === undefined || names.some((name) => name.includes(values.only!));
for (const [flag, n] of [
  ['--rounds', rounds],
  ['--seconds', seconds],
  ['--connections', connections],
  ['--versions', versionCount],
] as const) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer`);
}

const missing = ['wrk', 'nginx', 'redis-server'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
);
if (missing.length > 0) {
  console.error(
    `bench:serve needs ${missing.join(', ')}; install with:\n  sudo apt-get install -y wrk nginx redis-server`,
  );
  process.exit(1);
}

async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 1200; i++) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  /** CPU time the server process spent per request (all its threads), when its pid is known. */
  cpuUs?: number;
}

/** Server processes by origin, for their CPU time (/proc): the registry, nginx's worker, node:http. */
const serverPids = new Map<string, number>();
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** User + system CPU seconds of a process so far (fields 14 and 15 of /proc/PID/stat). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

const MS = { us: 0.001, ms: 1, s: 1000 } as const;
function latency(output: string, percent: string): number {
  const found = new RegExp(`${percent}%\\s+([\\d.]+)(us|ms|s)`).exec(output);
  if (!found) throw new Error(`cannot read wrk's latency:\n${output}`);
  return Number(found[1]) * MS[found[2] as keyof typeof MS];
}

/**
 * One wrk run; any non-2xx answer makes the run invalid. Also the server's CPU time per request: unlike
 * req/s, it hardly moves when other work shares the machine.
 */
/** Busy and total CPU ticks of the whole machine so far (/proc/stat's first line). */
async function machineTicks(): Promise<{ busy: number; total: number }> {
  const fields = (await readFile('/proc/stat', 'utf8'))
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // idle and iowait
  return { busy: total - fields[3]! - (fields[4] ?? 0), total };
}

/**
 * Waits (at most 30 s) until the machine is nearly idle for a second: work left over from a start or an
 * ingest (a database's background writes, a JIT, another process) would otherwise land in a row's first
 * rounds and read as its cost.
 */
async function settle(): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const before = await machineTicks();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = await machineTicks();
    if ((after.busy - before.busy) / Math.max(1, after.total - before.total) < 0.1) return;
  }
  console.error('the machine stayed busy for 30 s: measuring anyway');
}

async function wrk(url: string, options: { script?: string; headers?: string[] } = {}): Promise<Run> {
  const pid = serverPids.get(new URL(url).origin);
  const cpuBefore = pid === undefined ? undefined : await cpuSeconds(pid);
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency'];
  for (const header of options.headers ?? []) args.push('-H', header);
  if (options.script) args.push('-s', options.script);
  const result = spawnSync('wrk', [...args, url], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  if (/Non-2xx or 3xx responses/.test(result.stdout))
    throw new Error(`errors from ${url}:\n${result.stdout}`);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(result.stdout);
  if (!rate) throw new Error(`cannot read wrk's output:\n${result.stdout}`);
  const requests = Number(/(\d+) requests in/.exec(result.stdout)?.[1]);
  const cpuUs =
    cpuBefore === undefined ? undefined : (((await cpuSeconds(pid!)) - cpuBefore) / requests) * 1e6;
  return {
    rps: Number(rate[1]),
    p50: latency(result.stdout, '50'),
    p99: latency(result.stdout, '99'),
    cpuUs,
  };
}

// What users run: the compiled CLI (bin/bonsai.js runs dist/), built from these sources now. Through tsx
// every function made per request also pays a name-keeping call.
if (!process.env.BENCH_TSX) {
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error('npm run build failed');
}

const work = await mkdtemp(path.join(tmpdir(), 'bonsai-bench-serve-'));
const www = path.join(work, 'www');
const children = new Set<ChildProcess>();
const gh = await startGitHubEmulator();
const redis = await startOwnRedis();
const database = await createTestDatabase();

interface Registry {
  base: string;
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  children.delete(child);
}

/** `bonsai registry serve` on a port of its own; stdout to `logFile` (else discarded). */
async function startRegistry(env: Record<string, string>, logFile?: string): Promise<Registry> {
  const port = await freePort();
  const out = logFile ? openSync(logFile, 'a') : 'ignore';
  const errors = openSync(path.join(work, 'registry-stderr.log'), 'a');
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROF] : []),
      ...(process.env.BENCH_TSX ? ['--import', 'tsx', 'cli/main.ts'] : ['dist/cli/main.js']),
      'registry',
      'serve',
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', out, errors],
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        // One base URL for every registry on every port: a restart on a new port renders nothing again
        // in the background while it is measured.
        PUBLIC_URL: 'http://bench.invalid',
        GITHUB_API_URL: gh.apiUrl,
        GITHUB_TOKEN: 'bench-token',
        ADMIN_TOKEN: 'bench-admin',
        POLL_INTERVAL: '0',
        LOG_LEVEL: 'warn',
        // The bench measures serving, from one address: no per-address read budget.
        RATE_LIMIT_READS: '0',
        ...env,
      },
    },
  );
  children.add(child);
  const base = `http://127.0.0.1:${port}`;
  serverPids.set(base, child.pid!);
  await until('the registry', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined));
  return { base, stop: () => stopChild(child) };
}

/** bench/node-static.ts serving `body` on a port of its own. */
async function startNodeStatic(body: Buffer): Promise<Registry> {
  const port = await freePort();
  const file = path.join(work, 'node-static.body');
  await writeFile(file, body);
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/node-static.ts', file, String(port)], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  children.add(child);
  const base = `http://127.0.0.1:${port}`;
  serverPids.set(base, child.pid!);
  await until('the bare node:http server', async () => ((await fetch(base)).ok ? true : undefined));
  return { base, stop: () => stopChild(child) };
}

const ASSETS = ['bench/check-bench', 'bench/check-small'];
const LATEST = `1.${versionCount - 1}.0`;

/** Registers the bench's repositories and waits until every release is served. */
async function ingest(registry: Registry): Promise<void> {
  for (const repository of ASSETS) {
    await fetch(`${registry.base}/api/v1/repos`, {
      method: 'POST',
      headers: { authorization: 'Bearer bench-admin', 'content-type': 'application/json' },
      body: JSON.stringify({ repository }),
    });
  }
  const served = async (asset: string, count: number) => {
    const res = await fetch(`${registry.base}/api/v1/assets/${asset}/status`);
    if (!res.ok) return false;
    const status = (await res.json()) as { versions: { state: string }[] };
    return status.versions.filter((v) => v.state === 'served').length === count;
  };
  await until('the releases to be ingested', async () =>
    (await served('bench/check-bench', versionCount)) && (await served('bench/check-small', 1))
      ? true
      : undefined,
  );
}

/**
 * Bytes of one answer (warms the cache); fails on anything but 200. Retried: a kept-alive connection
 * idle through a wrk run may be closed by the server just as fetch reuses it.
 */
async function bytesOf(url: string, headers: Record<string, string> = {}): Promise<Buffer> {
  const res = await until(url, () => fetch(url, { headers }));
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** A wrk script that cycles through `paths` (one per request). */
async function cycleScript(name: string, paths: readonly string[]): Promise<string> {
  const file = path.join(work, `${name}.lua`);
  await writeFile(
    file,
    [
      `local paths = {${paths.map((p) => JSON.stringify(p)).join(', ')}}`,
      'local i = 0',
      'request = function()',
      '  i = i + 1',
      '  return wrk.format("GET", paths[(i % #paths) + 1])',
      'end',
      '',
    ].join('\n'),
  );
  return file;
}

/** Spellings of one build that name the same definition and are distinct cache entries. */
function buildSpellings(version: string, count: number): string[] {
  const word = 'linuxamd64';
  const paths: string[] = [];
  for (let bits = 0; paths.length < count && bits < 1 << word.length; bits++) {
    const spelled = [...word].map((c, i) => ((bits >> i) & 1 ? c.toUpperCase() : c)).join('');
    for (const v of [version, `v${version}`])
      paths.push(
        `/api/v1/assets/bench/check-bench/${v}/${spelled.slice(0, 5)}/${spelled.slice(5)}/release_asset`,
      );
  }
  return paths;
}

interface Row {
  name: string;
  /** What the goal compares: the ratio to nginx, or to another row (`of`). */
  goal?: { ratio?: number; p99Ms?: number; p50Ms?: number; of?: string };
  registry: Run;
  reference: Run;
  referenceName: string;
}

const rows: Row[] = [];
let nginxBase = '';

/** Rounds of registry and nginx alternating, on a row's own bytes. */
async function row(
  name: string,
  url: string,
  body: Buffer,
  options: {
    goal?: Row['goal'];
    script?: string;
    headers?: string[];
    type?: string;
    /** Alternate with another server's URL instead of nginx's file. */
    against?: { name: string; url: string };
  } = {},
): Promise<void> {
  if (!wanted(name)) return;
  const file = `row-${rows.length}${options.type === 'html' ? '.html' : ''}`;
  await writeFile(path.join(www, file), body);
  const ours: Run[] = [];
  const theirs: Run[] = [];
  await settle();
  await wrk(url, options); // warm-up (JIT, caches)
  if (options.against) await wrk(options.against.url, options);
  for (let round = 0; round < rounds; round++) {
    ours.push(await wrk(url, options));
    theirs.push(await (options.against ? wrk(options.against.url, options) : wrk(`${nginxBase}/${file}`)));
  }
  const pick = (runs: Run[]): Run => ({
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    cpuUs: runs.every((r) => r.cpuUs !== undefined) ? median(runs.map((r) => r.cpuUs!)) : undefined,
  });
  rows.push({
    name,
    goal: options.goal,
    registry: pick(ours),
    reference: pick(theirs),
    referenceName: options.against?.name ?? 'nginx',
  });
  console.error(`measured: ${name}`);
}

try {
  gh.state.addToken('bench-token', { login: 'bench' });
  gh.state.createRepo('bench/check-bench');
  for (let i = 0; i < versionCount; i++) await publish(gh, 'bench/check-bench', `1.${i}.0`);
  gh.state.createRepo('bench/check-small');
  await publish(gh, 'bench/check-small', '1.0.0');

  // nginx serving each row's bytes as a static file.
  await mkdir(www, { recursive: true });
  await chmod(work, 0o755);
  const nginxPort = await freePort();
  const conf = path.join(work, 'nginx.conf');
  await writeFile(
    conf,
    [
      'worker_processes 1;',
      'daemon off;',
      `pid ${work}/nginx.pid;`,
      `error_log ${work}/nginx-error.log warn;`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${work}/client_body;`,
      `  proxy_temp_path ${work}/proxy;`,
      `  fastcgi_temp_path ${work}/fastcgi;`,
      `  uwsgi_temp_path ${work}/uwsgi;`,
      `  scgi_temp_path ${work}/scgi;`,
      '  types { text/html html; }',
      '  default_type application/json;',
      `  server { listen 127.0.0.1:${nginxPort}; root ${www}; etag on; }`,
      '}',
      '',
    ].join('\n'),
  );
  const nginx = spawn('nginx', ['-c', conf, '-p', work], { stdio: 'ignore' });
  children.add(nginx);
  nginxBase = `http://127.0.0.1:${nginxPort}`;
  await writeFile(path.join(www, 'ready'), 'ok');
  await until('nginx', async () => ((await fetch(`${nginxBase}/ready`)).ok ? true : undefined));
  // The one worker serves; the master only waits.
  const worker = spawnSync('pgrep', ['-P', String(nginx.pid)], { encoding: 'utf8' }).stdout.trim();
  if (/^\d+$/.test(worker)) serverPids.set(nginxBase, Number(worker));

  const definition = `/api/v1/assets/bench/check-bench/${LATEST}/release_asset_builds`;
  const assetObject = '/api/v1/assets/bench/check-bench';
  const list = '/api/v1/assets?items=100';
  const search = '/api/v1/assets?q=small';
  const page = '/assets/bench/check-bench';
  const spellings = buildSpellings(LATEST, 256);
  const missScript = await cycleScript('misses', spellings);
  // `q` matches case-insensitively; each spelling is its own cache entry.
  const searchScript = await cycleScript(
    'searches',
    Array.from({ length: 32 }, (_, bits) =>
      [...'small'].map((c, i) => ((bits >> i) & 1 ? c.toUpperCase() : c)).join(''),
    ).map((q) => `/api/v1/assets?q=${q}`),
  );

  // Embedded: PGlite and the in-process cache.
  const dataDir = path.join(work, 'data');
  let registry = await startRegistry({ DATA_DIR: dataDir });
  await ingest(registry);
  let at = registry.base;
  // The reference of the LOG_LEVEL=info row.
  const warnName = 'cached definition, embedded';
  const infoName = 'cached definition, embedded, LOG_LEVEL=info';
  await row(warnName, at + definition, await bytesOf(at + definition), { goal: { ratio: 0.6 } });
  // What one bare Node process serves at best (bench/node-static.ts): the ceiling of the rows above.
  const ceilingName = 'bare node:http, same bytes as the cached definition (no goal: the ceiling)';
  if (wanted(ceilingName)) {
    const ceiling = await startNodeStatic(await bytesOf(at + definition));
    await row(ceilingName, ceiling.base + '/', await bytesOf(ceiling.base + '/'));
    await ceiling.stop();
  }
  const bigBody = await bytesOf(at + assetObject);
  await row(
    `cached asset object, ${versionCount} versions (${Math.round(bigBody.length / 1024)} KB), embedded`,
    at + assetObject,
    bigBody,
    {
      goal: { ratio: 0.5 },
    },
  );
  await row('cached list ?items=100, embedded', at + list, await bytesOf(at + list), {
    goal: { ratio: 0.5 },
  });
  await row('cached search ?q=, embedded', at + search, await bytesOf(at + search));
  await row('web page (asset), embedded', at + page, await bytesOf(at + page, { accept: 'text/html' }), {
    goal: { p50Ms: 10 },
    headers: ['Accept: text/html'],
    type: 'html',
  });
  await registry.stop();

  if (wanted(infoName)) {
    // Both levels run side by side (PGlite: each on its own copy of the data) and alternate, so the
    // machine's drift between rows does not show as a cost of logging.
    const copy = path.join(work, 'data-info');
    await cp(dataDir, copy, { recursive: true });
    const warn = await startRegistry({ DATA_DIR: dataDir });
    registry = await startRegistry({ DATA_DIR: copy, LOG_LEVEL: 'info' }, path.join(work, 'info.log'));
    at = registry.base;
    await row(infoName, at + definition, await bytesOf(at + definition), {
      goal: { ratio: 0.9, of: 'warn' },
      against: { name: 'LOG_LEVEL=warn', url: warn.base + definition },
    });
    await registry.stop();
    await warn.stop();
  }

  const embeddedMisses = ['cache miss, definition, embedded PGlite', 'search ?q= (miss), embedded PGlite'];
  if (wanted(...embeddedMisses)) {
    registry = await startRegistry({ DATA_DIR: dataDir, CACHE_SIZE: '1' });
    at = registry.base;
    await row(
      'cache miss, definition, embedded PGlite',
      at + spellings[0]!,
      await bytesOf(at + spellings[0]!),
      {
        goal: { ratio: 0.05, p99Ms: 50 },
        script: missScript,
      },
    );
    await row('search ?q= (miss), embedded PGlite', at + search, await bytesOf(at + search), {
      script: searchScript,
    });
    await registry.stop();
  }

  // Postgres and Redis.
  const cachedPostgres = [
    'cached definition, Postgres + Redis',
    'cached asset object, Postgres + Redis',
    'cached list ?items=100, Postgres + Redis',
  ];
  const postgresMiss = 'cache miss, definition, Postgres';
  if (wanted(...cachedPostgres, postgresMiss)) {
    registry = await startRegistry({
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      DATA_DIR: path.join(work, 'pg'),
    });
    await ingest(registry);
    at = registry.base;
    await row(cachedPostgres[0]!, at + definition, await bytesOf(at + definition), {
      goal: { ratio: 0.5 },
    });
    await row(cachedPostgres[1]!, at + assetObject, await bytesOf(at + assetObject), {
      goal: { ratio: 0.4 },
    });
    await row(cachedPostgres[2]!, at + list, await bytesOf(at + list), {
      goal: { ratio: 0.4 },
    });
    await registry.stop();

    registry = await startRegistry({
      DATABASE_URL: database.url,
      CACHE_SIZE: '1',
      DATA_DIR: path.join(work, 'pg'),
    });
    at = registry.base;
    await row(postgresMiss, at + spellings[0]!, await bytesOf(at + spellings[0]!), {
      goal: { ratio: 0.15 },
      script: missScript,
    });
    await registry.stop();
  }

  // The table.
  const met = (r: Row): string => {
    if (!r.goal) return '—';
    const ratio = r.registry.rps / r.reference.rps;
    const ok =
      (r.goal.ratio === undefined || ratio >= r.goal.ratio) &&
      (r.goal.p99Ms === undefined || r.registry.p99 <= r.goal.p99Ms) &&
      (r.goal.p50Ms === undefined || r.registry.p50 <= r.goal.p50Ms);
    const parts = [
      r.goal.ratio !== undefined ? `≥ ${r.goal.ratio}×${r.goal.of ? ` ${r.goal.of}` : ''}` : '',
      r.goal.p99Ms !== undefined ? `p99 ≤ ${r.goal.p99Ms} ms` : '',
      r.goal.p50Ms !== undefined ? `p50 ≤ ${r.goal.p50Ms} ms` : '',
    ].filter(Boolean);
    return `${ok ? 'met' : 'NOT met'} (${parts.join(', ')})`;
  };
  const table = rows.map((r) => [
    r.name,
    r.registry.rps.toFixed(0),
    r.registry.p99.toFixed(2),
    `${r.reference.rps.toFixed(0)} (${r.referenceName})`,
    (r.registry.rps / r.reference.rps).toFixed(2),
    met(r),
    r.registry.cpuUs !== undefined && r.reference.cpuUs !== undefined
      ? `${r.registry.cpuUs.toFixed(0)} / ${r.reference.cpuUs.toFixed(0)} (${(r.reference.cpuUs / r.registry.cpuUs).toFixed(2)})`
      : '—',
  ]);
  const header = ['row', 'req/s', 'p99 ms', 'reference req/s', 'ratio', 'goal', 'CPU µs/req, ref (ratio)'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(
    `wrk -t1 -c${connections} -d${seconds}s --latency, ${rounds} round(s) alternating with the reference, medians`,
  );
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const cells of table) console.log(line(cells));
  process.exitCode = rows.every((r) => !r.goal || met(r).startsWith('met')) ? 0 : 1;
} catch (err) {
  console.error(await readFile(path.join(work, 'registry-stderr.log'), 'utf8').catch(() => ''));
  throw err;
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(
    [...children].map((c) =>
      c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve(),
    ),
  );
  await gh.close();
  await redis.stop();
  await database.drop();
  await rm(work, { recursive: true, force: true });
}
