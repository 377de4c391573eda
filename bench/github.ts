/**
 * `npm run bench:github`: the cost of one GitHub API call through the registry's client (Octokit with its
 * retries, rate-limit waits and idle timeout: registry/github/octokit.ts) against a plain `fetch` of the
 * same URL, both asking the GitHub emulator in the same run, rounds alternating; prints the medians of
 * the per-round p50s and their ratio (target: at most 2× the plain fetch).
 *
 *   npm run bench:github -- [--rounds N] [--calls N]
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createGitHub } from '../registry/github/octokit.js';
import { startGitHubEmulator } from '../test/github-emulator/index.js';
import { median } from './stats.js';

const TARGET_RATIO = 2;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    calls: { type: 'string', default: '300' },
  },
});
const rounds = Number(values.rounds);
const calls = Number(values.calls);
for (const [flag, n] of [
  ['--rounds', rounds],
  ['--calls', calls],
] as const) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer`);
}

const gh = await startGitHubEmulator({ rateLimit: { authenticated: 1_000_000_000 } });
const TOKEN = 'bench-token';
gh.state.addToken(TOKEN, { login: 'bench', write: true });
gh.state.createRepo('bench/check', { description: 'a benchmark' });
// A full page of releases (100, four files each), as a sync reads them.
for (let i = 0; i < 100; i++) {
  const tag = `1.0.${i}`;
  gh.state.commit('bench/check', { files: { 'README.md': tag }, tag });
  const release = gh.state.createRelease('bench/check', {
    tag_name: tag,
    body: `Release ${tag}\n`.repeat(20),
  });
  for (const arch of ['amd64', 'arm64', '386']) {
    gh.state.addAsset(release.id, { name: `check_${tag}_linux_${arch}.tar.gz`, data: Buffer.from(arch) });
  }
  gh.state.addAsset(release.id, { name: `check_${tag}_sha512-checksums.txt`, data: Buffer.from(tag) });
}

const github = createGitHub({
  apiUrl: gh.apiUrl,
  token: TOKEN,
  timeoutMs: 60_000,
  logger: pino({ level: 'silent' }),
});

async function plainFetch(path: string): Promise<unknown> {
  const res = await fetch(`${gh.apiUrl}${path}`, {
    headers: { authorization: `token ${TOKEN}`, accept: 'application/vnd.github+json' },
  });
  if (!res.ok) throw new Error(`plain fetch: ${res.status}`);
  return res.json();
}

/** Each case: the same URL asked through the registry's client and by a plain fetch. */
const cases = {
  'GET /repos/O/R': {
    client: async () => {
      if (!(await github.getRepository('bench', 'check'))) throw new Error('no repository');
    },
    plain: async () => void (await plainFetch('/repos/bench/check')),
  },
  'GET /repos/O/R/releases (100)': {
    client: async () => {
      const listed = await github.listReleases('bench', 'check');
      if (listed.notModified || listed.releases.length !== 100) throw new Error('not 100 releases');
    },
    plain: async () => void (await plainFetch('/repos/bench/check/releases?per_page=100&page=1')),
  },
};

async function p50(call: () => Promise<void>, n: number): Promise<number> {
  for (let i = 0; i < Math.min(30, n); i++) await call();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await call();
    times.push(performance.now() - start);
  }
  return median(times);
}

console.log(
  `GitHub calls on the emulator: p50 per call, median of ${rounds} rounds (goal: client ≤ ${TARGET_RATIO}× plain fetch)`,
);
console.log(
  `${'call'.padEnd(32)} ${'plain fetch'.padStart(12)} ${'client'.padStart(10)} ${'ratio'.padStart(7)}  goal`,
);
for (const [name, pair] of Object.entries(cases)) {
  // The large page costs more per call: fewer calls keep the run short.
  const n = name.includes('releases') ? Math.max(1, Math.floor(calls / 10)) : calls;
  const plain: number[] = [];
  const client: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternating which goes first, so neither always runs on a warmer machine.
    if (round % 2 === 0) {
      plain.push(await p50(pair.plain, n));
      client.push(await p50(pair.client, n));
    } else {
      client.push(await p50(pair.client, n));
      plain.push(await p50(pair.plain, n));
    }
  }
  const ratio = median(client) / median(plain);
  console.log(
    `${name.padEnd(32)} ${median(plain).toFixed(3).padStart(9)} ms ${median(client).toFixed(3).padStart(7)} ms ` +
      `${ratio.toFixed(2).padStart(6)}×  ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'}`,
  );
}
await gh.close();
