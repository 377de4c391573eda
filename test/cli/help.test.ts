import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../common/exit-codes.js';
import { createProgram } from '../../cli/program.js';
import { loadAllVerbs } from '../../cli/lazy-group.js';
import { verbs } from '../../cli/verbs.js';
import { bonsai } from './run-cli.js';

/**
 * Every verb's --help in one style: one-sentence summary, a description in sentences, one sentence per
 * argument and option, Examples and Exit codes sections, and no line wider than the terminal.
 */

const silent = { write: () => true };
const program = createProgram(
  { stdout: silent, stderr: silent, cwd: '/', env: {} },
  await loadAllVerbs(verbs),
  {
    exitCode: EXIT.OK,
  },
);

/** Every command under the root, as the words a user types, the root itself first. */
function walk(command: Command, path: string[] = []): { path: string[]; command: Command }[] {
  return [
    { path, command },
    ...command.commands
      .filter((sub) => sub.name() !== 'help')
      .flatMap((sub) => walk(sub, [...path, sub.name()])),
  ];
}
const VERBS = walk(program);
const label = (path: string[]) => ['bonsai', ...path].join(' ');

/** A sentence: a capital (or a quoted or code word) first, one full stop last, no hard line breaks. */
const SENTENCES = /^[A-Z`'"#$.-][^\n]*\.$/;

describe('bonsai --help, for every verb', () => {
  it('covers the registry sub-verbs', () => {
    expect(VERBS.map((v) => label(v.path))).toEqual(
      expect.arrayContaining([
        'bonsai',
        'bonsai init',
        'bonsai add',
        'bonsai registry',
        'bonsai registry serve',
        'bonsai registry migrate',
        'bonsai registry add-repo',
        'bonsai registry sync',
        'bonsai registry status',
        'bonsai registry import',
        'bonsai registry token',
        'bonsai registry token create',
        'bonsai registry token list',
        'bonsai registry token revoke',
        'bonsai registry audit',
        'bonsai keygen',
        'bonsai registry key',
        'bonsai registry key add',
        'bonsai registry key list',
        'bonsai registry key revoke',
        'bonsai registry artifacts',
        'bonsai registry artifacts verify',
        'bonsai registry artifacts migrate',
        'bonsai mirror',
        'bonsai outdated',
      ]),
    );
    expect(VERBS.length).toBe(30);
  });

  describe.each(VERBS.map((v) => [label(v.path), v] as const))('%s', (_name, { path, command }) => {
    it('writes its summary, description, arguments and options as sentences', () => {
      expect(command.summary()).toMatch(SENTENCES);
      expect(command.description()).toMatch(SENTENCES);
      for (const arg of command.registeredArguments) expect(arg.description, arg.name()).toMatch(SENTENCES);
      for (const option of command.options) expect(option.description, option.flags).toMatch(SENTENCES);
    });

    it.each([60, 80, 132])('shows examples and exit codes, wrapped to %i columns', async (columns) => {
      const run = await bonsai([...path, '--help'], { tty: true, columns });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Usage: ${label(path)}`);
      const [, examples = '', exitCodes = ''] = run.stdout.split(/\nExamples:\n|\nExit codes:\n/);
      expect(examples).toMatch(new RegExp(`${label(path)}( |\n)`));
      expect(exitCodes).toMatch(/^ {2}0 {2}[A-Z]/);
      for (const line of run.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(columns);
    });
  });

  it('wraps to 80 columns when the output is not a terminal', async () => {
    const run = await bonsai(['pack', '--help'], { tty: false, columns: 200 });
    const widest = Math.max(...run.stdout.split('\n').map((l) => l.length));
    expect(widest).toBeLessThanOrEqual(80);
    expect(widest).toBeGreaterThan(70);
  });

  it('offers no flag a verb does not use: --port only on serve', () => {
    const flagsOf = (path: string[]) =>
      VERBS.find((v) => label(v.path) === label(path))!.command.options.map((o) => o.long);
    expect(flagsOf(['registry', 'serve'])).toEqual(
      expect.arrayContaining(['--port', '--host', '--poll-interval', '--cache-ttl']),
    );
    for (const verb of ['sync', 'add-repo', 'status', 'migrate']) {
      const flags = flagsOf(['registry', verb]);
      for (const serveOnly of [
        '--port',
        '--host',
        '--poll-interval',
        '--cache-ttl',
        '--cache-size',
        '--job-attempts',
      ])
        expect(flags, `${verb} ${serveOnly}`).not.toContain(serveOnly);
    }
    expect(flagsOf(['registry', 'sync'])).toEqual(
      expect.arrayContaining(['--github-api-url', '--public-url']),
    );
    expect(flagsOf(['registry', 'status'])).toEqual(['--json', '--database-url', '--data-dir']);
  });
});
