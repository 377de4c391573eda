import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAllVerbs } from '../../cli/lazy-group.js';
import { runCli } from '../../cli/program.js';
import { verbs } from '../../cli/verbs.js';

/**
 * Each verb loads only its own modules: the registration (name, help, options) is cheap, the work is
 * imported when the verb runs, and `bonsai registry ...` alone loads the server, database and caches.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = await mkdtemp(path.join(tmpdir(), 'bonsai-lazy-'));
afterAll(() => rm(work, { recursive: true, force: true }));

/** The project files (relative to the root) and npm packages `bonsai ARGS` loads, run as a user would. */
async function loaded(args: string[]): Promise<{ code: number | null; files: string[]; packages: string[] }> {
  const log = path.join(work, `imports-${args.join('-').replace(/[^a-z]+/gi, '_')}.log`);
  const code = await new Promise<number | null>((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', './test/cli/support/record-imports.mjs', 'cli/main.ts', ...args],
      { cwd: root, env: { ...process.env, IMPORT_LOG: log }, stdio: 'ignore' },
    );
    child.on('error', fail);
    child.on('exit', done);
  });
  const urls = (await readFile(log, 'utf8')).split('\n').filter((u) => u.startsWith('file:'));
  const paths = [...new Set(urls.map((u) => path.relative(root, fileURLToPath(u))))];
  const packages = new Set<string>();
  for (const p of paths) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p);
    if (match && !['tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps'].includes(match[1]!))
      packages.add(match[1]!);
  }
  return { code, files: paths.filter((p) => !p.includes('node_modules')), packages: [...packages].sort() };
}

const SERVER_PACKAGES = [
  'koa',
  'pg',
  'ioredis',
  '@electric-sql/pglite',
  '@octokit/rest',
  '@aws-sdk/client-s3',
];

describe('lazy verbs', () => {
  it('bonsai --help and --version load commander and the registrations, no verb’s work', async () => {
    for (const args of [['--help'], ['--version']]) {
      const run = await loaded(args);
      expect(run.code).toBe(0);
      expect(run.packages, args.join(' ')).toEqual(['commander']);
      expect(
        run.files.filter((f) => f.startsWith('registry/')),
        args.join(' '),
      ).toEqual([]);
      expect(
        run.files.filter((f) => f.endsWith('/run.ts')),
        args.join(' '),
      ).toEqual([]);
      // Help text quotes constants (the signature suffix, Bonsai's URL): read from their own small files.
      expect(
        run.files.filter((f) =>
          /^(bonsai-schema\/(minisign|blake2b)|packager\/bonsai-api\/client)\.ts$/.test(f),
        ),
        args.join(' '),
      ).toEqual([]);
    }
  }, 60_000);

  it('bonsai lint loads lint’s own modules, none of another verb or of the registry', async () => {
    const run = await loaded(['lint', 'examples/hello-world']);
    expect(run.code).toBe(0);
    expect(run.files).toContain('packager/commands/lint/run.ts');
    expect(run.files.filter((f) => f.endsWith('/run.ts'))).toEqual(['packager/commands/lint/run.ts']);
    expect(run.files.filter((f) => f.startsWith('registry/') || f.startsWith('packager/pack/'))).toEqual([]);
    for (const name of SERVER_PACKAGES) expect(run.packages).not.toContain(name);
  }, 60_000);

  it('bonsai registry ... loads the registry’s verbs', async () => {
    const run = await loaded(['registry', 'status', '--help']);
    expect(run.code).toBe(0);
    expect(run.files).toContain('registry/commands/registry.ts');
  }, 60_000);

  it('prints the same root help whether the registry verbs are loaded or not', async () => {
    const help = async (entries: Parameters<typeof runCli>[2]) => {
      let text = '';
      const out = { write: (s: string) => (text += s), isTTY: true, columns: 100 };
      expect(await runCli(['--help'], { stdout: out, stderr: out, cwd: root, env: {} }, entries)).toBe(0);
      return text;
    };
    const lazy = await help(verbs);
    expect(lazy).toBe(await help(await loadAllVerbs(verbs)));
    expect(lazy).toMatch(/\n {2}registry +Run and operate the Bonsai-compatible registry\.\n/);
  });

  it('loads a group only when the command line names it, also through help', async () => {
    let loads = 0;
    const group = {
      name: 'grp',
      summary: 'A group.',
      load: async () => {
        loads++;
        return (program: Command) => {
          program.command('grp').summary('A group.').command('sub').summary('A sub-verb.');
        };
      },
    };
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, cwd: root, env: {} };
    expect(await runCli(['--help'], io, [group])).toBe(0);
    expect(await runCli(['-h'], io, [group])).toBe(0);
    expect(loads).toBe(0);
    expect(await runCli(['help', 'grp'], io, [group])).toBe(0);
    expect(await runCli(['grp', 'sub', '--help'], io, [group])).toBe(0);
    expect(loads).toBe(2);
  });
});
