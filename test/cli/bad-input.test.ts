import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bonsai } from './run-cli.js';

/**
 * Bad command lines and bad environments end with one coded error line (or commander's usage line) and
 * the documented exit code: 1 wrong input, 2 usage, 3 an outside thing failed. Never a stack trace.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
let busy: net.Server;
let busyPort: number;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bonsai-cli-bad-'));
  await fs.writeFile(path.join(dir, 'a-file'), 'not a folder');
  busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => busy.close(() => resolve()));
  await fs.rm(dir, { recursive: true, force: true });
});

type Case = [
  label: string,
  args: () => string[],
  env: () => Record<string, string>,
  code: number,
  first: RegExp,
];

const settings = (name: string, value: string): Case => [
  `${name}=${value}`,
  () => ['registry', 'serve'],
  () => ({ DATA_DIR: path.join(dir, 'never'), [name]: value }),
  2,
  new RegExp(`^error \\[SETTINGS_INVALID\\]: invalid registry settings: ${name} `),
];

const CASES: Case[] = [
  ['an unknown verb', () => ['nosuchverb'], () => ({}), 2, /^error: unknown command 'nosuchverb'/],
  [
    'an unknown registry verb',
    () => ['registry', 'nosuch'],
    () => ({}),
    2,
    /^error: unknown command 'nosuch'/,
  ],
  ['an unknown root flag', () => ['--nosuch-flag'], () => ({}), 2, /^error: unknown option '--nosuch-flag'/],
  [
    'an unknown verb flag',
    () => ['registry', 'status', '--bogus'],
    () => ({}),
    2,
    /^error: unknown option '--bogus'/,
  ],
  [
    'a missing argument',
    () => ['registry', 'sync'],
    () => ({}),
    2,
    /^error: missing required argument 'OWNER\/NAME'/,
  ],
  [
    'a port that is not a number (flag)',
    () => ['registry', 'serve', '--port', 'eighty'],
    () => ({}),
    2,
    /^error \[SETTINGS_INVALID\]: invalid registry settings: PORT \(--port\)/,
  ],
  settings('PORT', '70000'),
  settings('DATABASE_URL', 'mysql://db/x'),
  settings('REDIS_URL', 'http://cache'),
  settings('LOG_LEVEL', 'loud'),
  settings('POLL_INTERVAL', '-1'),
  settings('ARTIFACTS_MODE', 'copy'),
  settings('JOB_ATTEMPTS', '0'),
  settings('GITHUB_API_URL', 'nope'),
  settings('MAX_ARTIFACT_SIZE', 'big'),
  settings('PUBLIC_URL', 'ftp://example.com'),
  [
    'serve on a busy port',
    () => ['registry', 'serve', '--host', '127.0.0.1', '--port', String(busyPort)],
    () => ({ DATA_DIR: path.join(dir, 'busy'), POLL_INTERVAL: '0' }),
    3,
    /^error \[PORT_IN_USE\]: cannot listen on 127\.0\.0\.1:\d+: the port is already in use\nhint: stop the process/,
  ],
  [
    'serve on an address of another machine',
    () => ['registry', 'serve', '--host', '203.0.113.9', '--port', '0'],
    () => ({ DATA_DIR: path.join(dir, 'elsewhere'), POLL_INTERVAL: '0' }),
    3,
    /^error \[LISTEN_FAILED\]: cannot listen on 203\.0\.113\.9:0: /,
  ],
  [
    'status in a folder without a database',
    () => ['registry', 'status'],
    () => ({ DATA_DIR: path.join(dir, 'empty') }),
    3,
    /^error \[DATABASE_NOT_FOUND\]: there is no registry database in .*empty /,
  ],
  [
    'status with DATA_DIR naming a file',
    () => ['registry', 'status'],
    () => ({ DATA_DIR: path.join(dir, 'a-file') }),
    3,
    /^error \[DATABASE_NOT_FOUND\]: /,
  ],
  [
    'status against a closed Postgres port',
    () => ['registry', 'status'],
    () => ({ DATABASE_URL: 'postgres://127.0.0.1:1/none' }),
    3,
    /^error \[DATABASE_FAILED\]: cannot connect to DATABASE_URL/,
  ],
  [
    'add-repo with a name that is no repository',
    () => ['registry', 'add-repo', 'a b'],
    () => ({ DATA_DIR: path.join(dir, 'add') }),
    1,
    /^error \[INVALID_DATA\]: "a b" is not a GitHub repository/,
  ],
  [
    'add-repo with a NUL in the name',
    () => ['registry', 'add-repo', 'own\u0000er/repo'],
    () => ({ DATA_DIR: path.join(dir, 'add') }),
    1,
    /^error \[INVALID_DATA\]: /,
  ],
  ['add without a namespace', () => ['add', 'not an asset'], () => ({}), 2, /^error \[ADD_BAD_NAME\]: /],
  [
    'add with a registry that is no URL',
    () => ['add', 'a/b:1.0.0', '--registry', 'not a url'],
    () => ({}),
    2,
    /^error \[REGISTRY_URL_INVALID\]: /,
  ],
  [
    'verify a missing archive',
    () => ['verify', path.join(dir, 'missing.tar.gz')],
    () => ({}),
    1,
    /^error \[ARCHIVE_NOT_FOUND\]: /,
  ],
];

describe('bonsai with bad input', () => {
  it('has at least 20 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(20));

  it.each(CASES)('%s', async (_label, args, env, code, first) => {
    const result = await bonsai(args(), { env: env(), cwd: dir });
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code,
      stderr: expect.stringMatching(first),
    });
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('status leaves the folder it looked in as it was', async () => {
    const empty = path.join(dir, 'stays-empty');
    await fs.mkdir(empty);
    expect((await bonsai(['registry', 'status'], { env: { DATA_DIR: empty }, cwd: empty })).code).toBe(3);
    expect(await fs.readdir(empty)).toEqual([]);
    const absent = path.join(dir, 'absent');
    expect((await bonsai(['registry', 'status'], { env: { DATA_DIR: absent }, cwd: dir })).code).toBe(3);
    await expect(fs.stat(absent)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

/** `bonsai ARGS` as its own process (from source, through tsx), its stdout closed by the reader at once. */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // `| head -0`: the reader is gone before the first line is written.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('a reader that goes away (EPIPE)', () => {
  it('ends bonsai quietly, with no error and no stack', async () => {
    expect(await runWithClosedStdout(['--help'])).toEqual({ code: 0, stderr: '' });
  });
});
