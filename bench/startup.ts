/**
 * `npm run bench:startup`: how long the compiled `bonsai` bin takes to start, as a ratio to `node -e 0`
 * measured in the same run (rounds alternate, so load on the machine hits both alike):
 *
 *   bonsai --help, bonsai --version, bonsai lint examples/hello-world
 *
 *   npm run build && npm run bench:startup -- [--rounds N] [--baseline DIR]
 *
 * --baseline DIR also times the same commands of another built checkout (say, main's) in the same rounds.
 *
 * Each verb loads only its own modules (cli/verbs.ts, packager/commands/VERB/index.ts), so these stay
 * near Node's own start-up; the goal is at most 0.15 s on a developer machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './stats.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/bonsai.js', import.meta.url));
if (!existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
  console.error('error: dist/ is missing: run npm run build first (the bench times the compiled bin)');
  process.exit(2);
}

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '15' }, baseline: { type: 'string' } },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');

const bonsaiCases = (label: string, bonsaiBin: string) => [
  { label: `${label}--help`, args: [bonsaiBin, '--help'] },
  { label: `${label}--version`, args: [bonsaiBin, '--version'] },
  { label: `${label}lint examples/hello-world`, args: [bonsaiBin, 'lint', 'examples/hello-world'] },
];
const CASES: readonly { label: string; args: readonly string[] }[] = [
  { label: 'node -e 0', args: ['-e', '0'] },
  ...bonsaiCases('bonsai ', bin),
  ...(values.baseline === undefined
    ? []
    : bonsaiCases('baseline ', path.resolve(values.baseline, 'bin', 'bonsai.js'))),
];

function timeOnce(args: readonly string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  return elapsed;
}

const times = CASES.map(() => [] as number[]);
for (const c of CASES) timeOnce(c.args); // warm the file system cache
for (let round = 0; round < rounds; round++) CASES.forEach((c, i) => times[i]!.push(timeOnce(c.args)));

const reference = median(times[0]!);
console.log(`start-up, median of ${rounds} runs (node ${process.version})`);
CASES.forEach((c, i) => {
  const m = median(times[i]!);
  const ratio =
    i === 0 ? '' : `  ${(m / reference).toFixed(2)}x node -e 0  (+${(m - reference).toFixed(0)} ms)`;
  console.log(`  ${c.label.padEnd(36)} ${(m / 1000).toFixed(3)} s${ratio}`);
});
