import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../cli/program.js';
import { bonsai } from './run-cli.js';

describe('bonsai CLI', () => {
  it('prints help and exits 0', async () => {
    const run = await bonsai(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: bonsai');
  });

  it('exits 2 on an unknown verb, naming it', async () => {
    const run = await bonsai(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'frobnicate'");
  });

  it('prints its version with --version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const run = await bonsai(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${version}\n`);
  });

  it.each([
    [
      {},
      /^error \[INTERNAL\]: TypeError: cannot read x of undefined\nhint: this is a bug: please report it, with the output of the same command run with BONSAI_DEBUG=1\n$/,
    ],
    [{ BONSAI_DEBUG: '1' }, /^error \[INTERNAL\]: TypeError: cannot read x of undefined\n\s+at /],
  ])('reports a bug (an uncoded exception) in one coded line (env %j), exit 1', async (env, expected) => {
    let stderr = '';
    const io = {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      cwd: '/',
      env,
    };
    const code = await runCli(['boom'], io, [
      (program, _io, run) => {
        program.command('boom').action(
          run(async () => {
            throw new TypeError('cannot read x of undefined');
          }),
        );
      },
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(expected);
  });

  it('answers a failing registry verb run with --json on stdout in the one failure shape', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bonsai-json-failure-'));
    const run = await bonsai(['registry', 'status', '--json'], { env: { DATA_DIR: dataDir } });
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toEqual({
      ok: false,
      error: {
        code: 'DATABASE_NOT_FOUND',
        message: expect.stringContaining(dataDir) as string,
        hint: expect.stringContaining('bonsai registry migrate') as string,
      },
      problems: [],
    });
    expect(run.stderr).toContain('error [DATABASE_NOT_FOUND]');
    // Without --json, stdout stays empty: the failure is only on stderr.
    const plain = await bonsai(['registry', 'status'], { env: { DATA_DIR: dataDir } });
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toContain('error [DATABASE_NOT_FOUND]');
  });
});
