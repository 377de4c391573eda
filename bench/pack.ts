/**
 * `npm run bench:pack`: times `bonsai pack` against GNU `tar -cf - | gzip -6` then `sha512sum` on the
 * same ~256 MB tree, in the same run, rounds alternating, and prints both medians and their ratio.
 *
 *   npm run bench:pack -- [--rounds N] [--dir PATH] [--keep]
 *
 * `bonsai pack` runs in-process through runCli (as the tests do), so Node's start-up is not counted;
 * the baseline's process start-ups are a few milliseconds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Io } from '../common/io.js';
import { runCli } from '../cli/program.js';
import { verbs } from '../cli/verbs.js';
import { makeBenchTree } from './tree.js';

const TARGET_RATIO = 1.15;

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');

const work = values.dir ?? (await mkdtemp(path.join(tmpdir(), 'bonsai-bench-')));
const project = path.join(work, 'project');
const sink: Io['stdout'] = { write: () => true };

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timeBonsaiPack(out: string): Promise<number> {
  const started = performance.now();
  const code = await runCli(
    ['pack', project, '--version', '1.0.0', '--repo', 'bench', '--out', out],
    { stdout: sink, stderr: sink, cwd: work, env: { SOURCE_DATE_EPOCH: '0' } },
    verbs,
  );
  const elapsed = performance.now() - started;
  if (code !== 0) throw new Error(`bonsai pack exited ${code}`);
  return elapsed;
}

function timeTarGzip(out: string): number {
  const started = performance.now();
  const result = spawnSync(
    'bash',
    [
      '-c',
      'set -eo pipefail; mkdir -p "$1"; tar -cf - README.md bin lib | gzip -6 > "$1/bench.tar.gz"; ' +
        'cd "$1" && sha512sum bench.tar.gz > bench_sha512-checksums.txt',
      'bench',
      out,
    ],
    { cwd: project, stdio: 'inherit' },
  );
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`tar | gzip exited ${result.status}`);
  return elapsed;
}

async function archiveSize(out: string): Promise<number> {
  const names = (await readdir(out)).filter((n) => n.endsWith('.tar.gz'));
  return (await stat(path.join(out, names[0]!))).size;
}

try {
  process.stdout.write(`building the tree in ${project} ... `);
  const bytes = await makeBenchTree(project);
  const files = spawnSync('find', [project, '-type', 'f'], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n').length;
  console.log(`${(bytes / 2 ** 20).toFixed(0)} MiB in ${files} files`);
  // Both sides read from the page cache.
  spawnSync('bash', ['-c', 'tar -cf - . > /dev/null'], { cwd: project });

  const ours: number[] = [];
  const theirs: number[] = [];
  let sizes = { ours: 0, theirs: 0 };
  for (let round = 1; round <= rounds; round++) {
    // Alternate who goes first, so neither always gets the warmer machine.
    const order = round % 2 === 1 ? ['ours', 'theirs'] : ['theirs', 'ours'];
    for (const side of order) {
      const out = path.join(work, `out-${side}-${round}`);
      if (side === 'ours') ours.push(await timeBonsaiPack(out));
      else theirs.push(timeTarGzip(out));
      sizes = { ...sizes, [side]: await archiveSize(out) };
      await rm(out, { recursive: true, force: true });
    }
    console.log(
      `round ${round}: bonsai pack ${(ours.at(-1)! / 1000).toFixed(2)} s, tar | gzip -6 + sha512sum ${(theirs.at(-1)! / 1000).toFixed(2)} s`,
    );
  }
  const ratio = median(ours) / median(theirs);
  console.log(
    `median bonsai pack:              ${(median(ours) / 1000).toFixed(2)} s  (archive ${(sizes.ours / 2 ** 20).toFixed(1)} MiB)`,
  );
  console.log(
    `median tar | gzip -6 + sha512sum: ${(median(theirs) / 1000).toFixed(2)} s  (archive ${(sizes.theirs / 2 ** 20).toFixed(1)} MiB)`,
  );
  console.log(
    `ratio ${ratio.toFixed(3)} (target ≤ ${TARGET_RATIO}): ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'}`,
  );
} finally {
  if (!values.keep && values.dir === undefined) await rm(work, { recursive: true, force: true });
}
