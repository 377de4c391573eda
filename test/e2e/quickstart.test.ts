import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The README's first screen, as a new user runs it: a `git clone` of the committed HEAD into a private
 * folder (`mktemp -d`, mode 0700), `npm install` (here `npm ci`, from the npm cache when it can) and
 * `npm run demo -- --once` there; `npm --prefix CLONE run bonsai` from the user's own folder; and the CLI
 * installed from a second fresh clone (`npm install -g .`, into a temporary prefix), run from elsewhere.
 */

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const STEP_MS = 150_000;

/** The environment of a user's shell: none of the npm variables of the `npm test` running this file. */
function userEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const npmSetting = /^npm_/i.test(key) || key === 'INIT_CWD';
    // The user's npm cache and registry stay: the installs reuse what is already downloaded.
    if (!npmSetting || /^npm_config_(cache|registry|userconfig)$/i.test(key)) env[key] = value;
  }
  return { ...env, HOME: env.HOME ?? home, NO_COLOR: '1', npm_config_prefer_offline: 'true' };
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd, env, timeout: STEP_MS, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? e.message,
    };
  }
}

const show = (r: Ran) =>
  `exit ${r.code}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`;

let base: string;
let env: NodeJS.ProcessEnv;
let readme: string;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'bonsai-quickstart-'));
  env = userEnv(base);
  readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
});
afterAll(() => (base ? rm(base, { recursive: true, force: true }) : undefined));

/** A fresh clone of the committed HEAD in a private folder of its own. */
async function freshClone(name: string): Promise<string> {
  const parent = await mkdtemp(path.join(base, `${name}-`));
  expect((await stat(parent)).mode & 0o777).toBe(0o700);
  const clone = path.join(parent, 'sensu-bonsai-hub');
  const cloned = await sh('git', ['clone', '--quiet', repoRoot, clone], base, env);
  expect(cloned.code, show(cloned)).toBe(0);
  return clone;
}

it('the README documents the commands this test runs, on its first screen', () => {
  const firstScreen = readme.split('\n').slice(0, 60).join('\n');
  expect(firstScreen).toContain('npm install && npm run demo');
  expect(firstScreen).toContain('npm install && npm test');
  expect(firstScreen).toContain('npm install -g .');
  expect(firstScreen).toContain('npm run demo -- --once');
});

// The two clones are independent: they run side by side to keep the file near a minute and a half.
describe.concurrent('on fresh clones in private folders', () => {
  it(
    'npm install, npm run demo -- --once, and npm --prefix CLONE run bonsai from the user folder',
    async () => {
      const clone = await freshClone('demo');

      // npm install: the lock file's dependencies, dist/ built, no EBADENGINE warning.
      const installed = await sh('npm', ['ci', '--no-audit', '--no-fund'], clone, env);
      expect(installed.code, show(installed)).toBe(0);
      expect(installed.stdout + installed.stderr).not.toContain('EBADENGINE');
      expect(await readdir(path.join(clone, 'dist/cli'))).toContain('main.js');

      // npm run demo -- --once: every step passes and the asset runs.
      const demo = await sh('npm', ['run', 'demo', '--', '--once'], clone, env);
      expect(demo.code, show(demo)).toBe(0);
      expect(demo.stdout).toContain('✓ ran bin/hello-world from the extracted asset: Hello World');
      expect(demo.stdout).not.toContain('✗');

      // npm --prefix CLONE run bonsai: relative paths are the user's folder (INIT_CWD), not the clone.
      const mine = await mkdtemp(path.join(base, 'user-'));
      const bonsai = (...args: string[]) =>
        sh('npm', ['--prefix', clone, 'run', '--silent', 'bonsai', '--', ...args], mine, env);
      const init = await bonsai('init', 'hello');
      expect(init.code, show(init)).toBe(0);
      expect(await readdir(path.join(mine, 'hello'))).toEqual(
        expect.arrayContaining(['bonsai.yml', 'bin', 'README.md', '.gitignore']),
      );
      await expect(stat(path.join(clone, 'hello'))).rejects.toThrow();
      const lint = await bonsai('lint', 'hello');
      expect(lint.code, show(lint)).toBe(0);
      expect(lint.stdout).toContain('hello/bonsai.yml: valid');
    },
    2 * STEP_MS,
  );

  it(
    'npm install -g . with no npm install first, then bonsai --help, init and pack from another folder',
    async () => {
      const clone = await freshClone('install');
      const prefix = path.join(base, 'prefix');
      const installed = await sh(
        'npm',
        ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '.'],
        clone,
        env,
      );
      expect(installed.code, show(installed)).toBe(0);
      expect(installed.stdout + installed.stderr).not.toContain('EBADENGINE');
      const bin = path.join(prefix, 'bin', 'bonsai');

      const elsewhere = await mkdtemp(path.join(base, 'elsewhere-'));
      const help = await sh(bin, ['--help'], elsewhere, env);
      expect(help.code, show(help)).toBe(0);
      expect(help.stdout).toContain('Usage: bonsai');
      expect(help.stdout).toContain('Exit codes:');
      const init = await sh(bin, ['init', 'sensu-check-hello'], elsewhere, env);
      expect(init.code, show(init)).toBe(0);
      const project = path.join(elsewhere, 'sensu-check-hello');
      const pack = await sh(bin, ['pack', '--version', '0.0.1'], project, env);
      expect(pack.code, show(pack)).toBe(0);
      expect(pack.stderr).toContain('packed sensu-check-hello 0.0.1');
    },
    2 * STEP_MS,
  );
});
