/**
 * `npm run bench:pack`: two cases, each timed against GNU tar in the same run, rounds alternating,
 * printing both medians and their ratio.
 *
 * - one build: `bonsai pack` against `tar -cf - | gzip -6` then `sha512sum` on one ~256 MB tree.
 *   `bonsai pack` runs in-process through runCli (as the tests do), so Node's start-up is not counted.
 * - five distinct builds (~256 MB in all, each build its own build/<platform>_<arch>/): the compiled
 *   `bonsai pack` run as its own process (start-up and worker threads counted, as a user runs it)
 *   against the five `tar | gzip -6` run two at a time (`xargs -P2`), then one `sha512sum`.
 *
 *   npm run bench:pack -- [--case one|distinct|all] [--rounds N] [--scale S] [--dist PATH] [--dir PATH] [--keep]
 *
 * --scale shrinks (or grows) the trees (1: ~256 MB) when the machine is shared. --dist is a compiled
 * build to run (its cli/main.js); without it the sources are compiled into node_modules/.cache first.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Io } from '../common/io.js';
import { runCli } from '../cli/program.js';
import { verbs } from '../cli/verbs.js';
import {
  DEFAULT_SHAPE,
  distinctBuildShape,
  makeBenchTree,
  makeDistinctBuildsTree,
  type TreeShape,
} from './tree.js';
import { median } from './stats.js';

const TARGET_RATIO = 1.15;
/** Issue 12: five distinct builds within 1.1× of GNU tar run two at a time. */
const DISTINCT_TARGET_RATIO = 1.1;

const { values } = parseArgs({
  options: {
    case: { type: 'string', default: 'all' },
    rounds: { type: 'string', default: '3' },
    scale: { type: 'string', default: '1' },
    dist: { type: 'string' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer');
const scale = Number(values.scale);
if (!(scale > 0)) throw new Error('--scale must be a positive number');
if (!['one', 'distinct', 'all'].includes(values.case)) throw new Error('--case must be one, distinct or all');
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const work = values.dir ?? (await mkdtemp(path.join(tmpdir(), 'bonsai-bench-')));
const project = path.join(work, 'project');
const distinctProject = path.join(work, 'distinct');
const sink: Io['stdout'] = { write: () => true };

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

/** The compiled CLI to run as a process: --dist's, or the sources compiled now (what `npm run build` does). */
function compiledCli(): string {
  if (values.dist !== undefined) return path.resolve(values.dist, 'cli/main.js');
  const outDir = path.join(repoRoot, 'node_modules/.cache/bonsai-bench-dist');
  process.stdout.write(`compiling the sources into ${outDir} ... `);
  const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`tsc exited ${result.status}`);
  console.log('done');
  return path.join(outDir, 'cli/main.js');
}

/** Wall and CPU (user + system, the process and its children) seconds of one bash script. */
interface Timed {
  wall: number;
  cpu: number;
}

function timeScript(script: string, args: readonly string[], cwd: string): Timed {
  const result = spawnSync(
    'bash',
    ['-c', `TIMEFORMAT='%R %U %S'; { time { ${script} ; } ; } 2> "$TIMES"`, 'bench', ...args],
    { cwd, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, TIMES: path.join(work, 'times') } },
  );
  if (result.status !== 0) throw new Error(`${script} exited ${result.status}`);
  const last = spawnSync('tail', ['-1', path.join(work, 'times')], { encoding: 'utf8' }).stdout.trim();
  const [wall, user, system] = last.split(' ').map(Number) as [number, number, number];
  return { wall, cpu: user + system };
}

function scaled(shape: TreeShape): TreeShape {
  return {
    ...shape,
    smallFiles: Math.round(shape.smallFiles * scale),
    largeFileBytes: Math.round(shape.largeFileBytes * scale),
  };
}

function describeTree(dir: string, bytes: number): string {
  const files = spawnSync('find', [dir, '-type', 'f'], { encoding: 'utf8' }).stdout.trim().split('\n').length;
  return `${(bytes / 2 ** 20).toFixed(0)} MiB in ${files} files`;
}

async function benchOneBuild(): Promise<void> {
  process.stdout.write(`building the one-build tree in ${project} ... `);
  const bytes = await makeBenchTree(project, scaled(DEFAULT_SHAPE));
  console.log(describeTree(project, bytes));
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
}

/** The five `tar | gzip -6`, two at a time, then the checksum file: what a release script would run. */
const TAR_TWO_AT_A_TIME =
  'set -eo pipefail; mkdir -p "$1"; ' +
  'ls build | xargs -P2 -I{} bash -c \'set -eo pipefail; tar -cf - -C build/{} bin lib -C ../.. README.md | gzip -6 > "$0/bench_{}.tar.gz"\' "$1"; ' +
  'cd "$1" && sha512sum *.tar.gz > bench_sha512-checksums.txt';

async function benchDistinctBuilds(cli: string): Promise<void> {
  process.stdout.write(`building the five-build tree in ${distinctProject} ... `);
  const bytes = await makeDistinctBuildsTree(distinctProject, distinctBuildShape(scale));
  console.log(describeTree(distinctProject, bytes));
  spawnSync('bash', ['-c', 'tar -cf - . > /dev/null'], { cwd: distinctProject });
  const env = `SOURCE_DATE_EPOCH=0 ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)}`;
  const packScript = `${env} pack "$1" --version 1.0.0 --repo bench --out "$2"`;

  const ours: Timed[] = [];
  const theirs: Timed[] = [];
  const startUps: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? ['ours', 'theirs'] : ['theirs', 'ours'];
    for (const side of order) {
      const out = path.join(work, `out-distinct-${side}-${round}`);
      if (side === 'ours') ours.push(timeScript(packScript, [distinctProject, out], work));
      else theirs.push(timeScript(TAR_TWO_AT_A_TIME, [out], distinctProject));
      const archives = (await readdir(out)).filter((n) => n.endsWith('.tar.gz'));
      if (archives.length !== 5) throw new Error(`${side} wrote ${archives.length} archives, not 5`);
      await rm(out, { recursive: true, force: true });
    }
    // What the process costs before packing anything (Node and the CLI's modules).
    startUps.push(timeScript(`${env} pack --help > /dev/null`, [], work).wall);
    console.log(
      `round ${round}: bonsai pack ${ours.at(-1)!.wall.toFixed(2)} s (cpu ${ours.at(-1)!.cpu.toFixed(2)} s), ` +
        `tar | gzip -6 ×5, two at a time, + sha512sum ${theirs.at(-1)!.wall.toFixed(2)} s (cpu ${theirs.at(-1)!.cpu.toFixed(2)} s)`,
    );
  }
  const wall = (xs: Timed[]) => median(xs.map((x) => x.wall));
  const cpu = (xs: Timed[]) => median(xs.map((x) => x.cpu));
  const ratio = wall(ours) / wall(theirs);
  console.log(
    `median bonsai pack (own process):       ${wall(ours).toFixed(2)} s, cpu ${cpu(ours).toFixed(2)} s`,
  );
  console.log(
    `median tar | gzip -6, two at a time:    ${wall(theirs).toFixed(2)} s, cpu ${cpu(theirs).toFixed(2)} s`,
  );
  console.log(`median start-up (bonsai pack --help):   ${median(startUps).toFixed(2)} s`);
  console.log(`cpu ratio ${(cpu(ours) / cpu(theirs)).toFixed(3)}`);
  console.log(
    `ratio ${ratio.toFixed(3)} (target ≤ ${DISTINCT_TARGET_RATIO}): ${ratio <= DISTINCT_TARGET_RATIO ? 'met' : 'NOT met'}`,
  );
}

try {
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (${scale === 1 ? 'full size' : `scale ${scale}`})`,
  );
  const cli = values.case === 'one' ? undefined : compiledCli();
  if (values.case !== 'distinct') await benchOneBuild();
  if (cli !== undefined) await benchDistinctBuilds(cli);
  console.log(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  if (!values.keep && values.dir === undefined) await rm(work, { recursive: true, force: true });
}
