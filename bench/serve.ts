/**
 * `npm run bench:serve`: request rate of a cached `release_asset_builds` from `bonsai registry serve`
 * against nginx serving the same bytes as a static file, in the same run, rounds alternating; prints both
 * medians and their ratio (target: the registry at least half of nginx); then the p50 latency of the web
 * pages (home, list, asset, version) from the cache (target: under 10 ms).
 *
 *   npm run bench:serve -- [--rounds N] [--seconds S] [--connections C]
 *
 * Fair terms on a small machine: the registry is one Node process, so nginx runs one worker; neither
 * writes an access log (LOG_LEVEL=warn, access_log off); wrk uses one thread. The registry runs embedded
 * (PGlite, in-process cache), ingesting a release from the GitHub emulator first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startGitHubEmulator } from '../test/github-emulator/index.js';
import { publish } from '../test/registry/support/fixtures.js';
import { freePort } from '../test/registry/support/ports.js';

const TARGET_RATIO = 0.5;
const PAGE_P50_TARGET_MS = 10;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
for (const [flag, n] of [
  ['--rounds', rounds],
  ['--seconds', seconds],
  ['--connections', connections],
] as const) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer`);
}

const missing = ['wrk', 'nginx'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length > 0) {
  console.error(
    `bench:serve needs ${missing.join(' and ')}; install with:\n  sudo apt-get install -y wrk nginx`,
  );
  process.exit(1);
}

async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Requests per second that wrk measured; any non-2xx answer makes the run invalid. */
function wrk(url: string): number {
  const result = spawnSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, url], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  if (/Non-2xx or 3xx responses/.test(result.stdout))
    throw new Error(`errors from ${url}:\n${result.stdout}`);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(result.stdout);
  if (!rate) throw new Error(`cannot read wrk's output:\n${result.stdout}`);
  return Number(rate[1]);
}

/** wrk's median latency of a page, asked for as a browser asks (Accept: text/html). */
function pageLatencyP50(url: string): number {
  const result = spawnSync(
    'wrk',
    ['-t1', '-c4', `-d${seconds}s`, '--latency', '-H', 'Accept: text/html', url],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  if (/Non-2xx or 3xx responses/.test(result.stdout))
    throw new Error(`errors from ${url}:\n${result.stdout}`);
  const p50 = /50%\s+([\d.]+)(us|ms|s)/.exec(result.stdout);
  if (!p50) throw new Error(`cannot read wrk's latency:\n${result.stdout}`);
  return Number(p50[1]) * { us: 0.001, ms: 1, s: 1000 }[p50[2] as 'us' | 'ms' | 's'];
}

const work = await mkdtemp(path.join(tmpdir(), 'bonsai-bench-serve-'));
const children: ChildProcess[] = [];
const gh = await startGitHubEmulator();
try {
  // A release on the emulator, ingested by a registry process of its own.
  gh.state.addToken('bench-token', { login: 'bench' });
  gh.state.createRepo('bench/check-bench');
  await publish(gh, 'bench/check-bench', '1.0.0');
  const registryPort = await freePort();
  const registry = spawn(
    process.execPath,
    process.env.BENCH_DIST
      ? ['dist/cli/main.js', 'registry', 'serve']
      : ['--import', 'tsx', 'cli/main.ts', 'registry', 'serve'],
    {
      cwd: ROOT,
      stdio: 'ignore',
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(registryPort),
        HOST: '127.0.0.1',
        DATA_DIR: path.join(work, 'data'),
        GITHUB_API_URL: gh.apiUrl,
        GITHUB_TOKEN: 'bench-token',
        ADMIN_TOKEN: 'bench-admin',
        POLL_INTERVAL: '0',
        LOG_LEVEL: 'warn',
        // The bench measures serving, from one address: no per-address read budget.
        RATE_LIMIT_READS: '0',
      },
    },
  );
  children.push(registry);
  const base = `http://127.0.0.1:${registryPort}`;
  await until('the registry', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined));
  await fetch(`${base}/api/v1/repos`, {
    method: 'POST',
    headers: { authorization: 'Bearer bench-admin', 'content-type': 'application/json' },
    body: JSON.stringify({ repository: 'bench/check-bench' }),
  });
  const definitionUrl = `${base}/api/v1/assets/bench/check-bench/1.0.0/release_asset_builds`;
  const body = await until('the release to be ingested', async () => {
    const res = await fetch(definitionUrl);
    return res.ok ? Buffer.from(await res.arrayBuffer()) : undefined;
  });

  // nginx serving the same bytes as a static file.
  const www = path.join(work, 'www');
  await mkdir(www, { recursive: true });
  await writeFile(path.join(www, 'release_asset_builds'), body);
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
      '  default_type application/json;',
      `  server { listen 127.0.0.1:${nginxPort}; root ${www}; etag on; }`,
      '}',
      '',
    ].join('\n'),
  );
  const nginx = spawn('nginx', ['-c', conf, '-p', work], { stdio: 'ignore' });
  children.push(nginx);
  const staticUrl = `http://127.0.0.1:${nginxPort}/release_asset_builds`;
  await until('nginx', async () => ((await fetch(staticUrl)).ok ? true : undefined));

  console.log(
    `body: ${body.length} bytes; wrk -t1 -c${connections} -d${seconds}s, ${rounds} rounds alternating`,
  );
  const registryRates: number[] = [];
  const nginxRates: number[] = [];
  wrk(definitionUrl); // warm-up (JIT, caches)
  for (let round = 1; round <= rounds; round++) {
    registryRates.push(wrk(definitionUrl));
    nginxRates.push(wrk(staticUrl));
    console.log(
      `round ${round}: registry ${registryRates.at(-1)!.toFixed(0)} req/s, nginx ${nginxRates.at(-1)!.toFixed(0)} req/s`,
    );
  }
  // The web pages (issue 10): served from the cache by Koa; each must stay under 10 ms at p50.
  const pages = {
    home: `${base}/`,
    list: `${base}/assets?q=bench`,
    asset: `${base}/assets/bench/check-bench`,
    version: `${base}/assets/bench/check-bench/versions/1.0.0`,
  };
  let pagesMet = true;
  for (const [name, url] of Object.entries(pages)) {
    const p50 = pageLatencyP50(url);
    pagesMet &&= p50 < PAGE_P50_TARGET_MS;
    console.log(`page ${name}: p50 ${p50.toFixed(2)} ms (target < ${PAGE_P50_TARGET_MS} ms)`);
  }

  const ratio = median(registryRates) / median(nginxRates);
  console.log(`registry (cached release_asset_builds): ${median(registryRates).toFixed(0)} req/s (median)`);
  console.log(`nginx (same bytes, static file):        ${median(nginxRates).toFixed(0)} req/s (median)`);
  console.log(
    `ratio registry/nginx: ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`,
  );
  process.exitCode = ratio >= TARGET_RATIO && pagesMet ? 0 : 1;
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : Promise.resolve())),
  );
  await gh.close();
  await rm(work, { recursive: true, force: true });
}
