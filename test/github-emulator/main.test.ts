import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Octokit } from '@octokit/rest';
import { afterEach, describe, expect, it } from 'vitest';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

interface Urls {
  apiUrl: string;
  uploadsUrl: string;
  webUrl: string;
  cdnUrl: string;
  tagged: Record<string, string>;
}

const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stderr })),
  );
  return { child, exited };
}

/** Starts the process and waits for its one JSON line. */
async function start(args: string[], env: Record<string, string> = {}) {
  const { child, exited } = run(args, env);
  const [line] = await Promise.race([
    once(createInterface({ input: child.stdout }), 'line') as Promise<string[]>,
    exited.then(({ stderr }) => Promise.reject(new Error(`emulator exited before listening: ${stderr}`))),
  ]);
  return { child, exited, urls: JSON.parse(line ?? '') as Urls };
}

function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'gh-emulator-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'asset', 'bin'), { recursive: true });
  writeFileSync(join(dir, 'asset', 'bonsai.yml'), 'description: hello\n');
  writeFileSync(join(dir, 'asset', 'bin', 'hello'), '#!/bin/sh\necho hello\n');
  writeFileSync(join(dir, 'hello_1.0.0_linux_amd64.tar.gz'), 'tarball');
  return dir;
}

describe('the emulator process', () => {
  it('seeds from a file and flags, prints its URLs as one JSON line and stops on SIGTERM', async () => {
    const dir = fixture();
    const seedFile = join(dir, 'seed.json');
    writeFileSync(
      seedFile,
      JSON.stringify({
        tokens: [{ token: 'reader', login: 'bob' }],
        repos: [
          {
            name: 'acme/hello',
            commits: [{ dir: 'asset', tag: '1.0.0' }],
            releases: [{ tag_name: '1.0.0', assets: [{ path: 'hello_1.0.0_linux_amd64.tar.gz' }] }],
          },
        ],
      }),
    );
    const { child, exited, urls } = await start(
      ['--seed', seedFile, '--repo', 'sensu/flagged', '--dir', join(dir, 'asset'), '--tag', '0.1.0'],
      { GITHUB_EMULATOR_TOKEN: 'writer' },
    );
    for (const origin of [urls.apiUrl, urls.uploadsUrl, urls.webUrl, urls.cdnUrl]) {
      expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
    expect(new Set([urls.apiUrl, urls.uploadsUrl, urls.webUrl, urls.cdnUrl]).size).toBe(4);
    expect(Object.keys(urls.tagged)).toEqual(['acme/hello@1.0.0', 'sensu/flagged@0.1.0']);

    const client = new Octokit({ baseUrl: urls.apiUrl, auth: 'writer' });
    const { data: file } = await client.rest.repos.getContent({
      owner: 'acme',
      repo: 'hello',
      path: 'bin/hello',
      mediaType: { format: 'raw' },
    });
    expect(file).toBe('#!/bin/sh\necho hello\n');
    const { data: release } = await client.rest.repos.getReleaseByTag({
      owner: 'acme',
      repo: 'hello',
      tag: '1.0.0',
    });
    expect(release.assets.map((a) => a.name)).toEqual(['hello_1.0.0_linux_amd64.tar.gz']);
    expect(await (await fetch(release.assets[0]?.browser_download_url ?? '')).text()).toBe('tarball');
    const { data: ref } = await client.rest.git.getRef({
      owner: 'sensu',
      repo: 'flagged',
      ref: 'tags/0.1.0',
    });
    expect(ref.object.sha).toBe(urls.tagged['sensu/flagged@0.1.0']);
    const created = await client.rest.repos.createRelease({
      owner: 'sensu',
      repo: 'flagged',
      tag_name: '0.1.0',
    });
    expect(created.status).toBe(201);

    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });

  it.each([
    [
      'a seed file that does not fit the schema',
      ['--seed', 'SEED'],
      1,
      /cannot seed: .*expected owner\/name/s,
    ],
    ['a port that is not a number', ['--port', 'eighty'], 2, /--port must be a port number/],
    ['--tag without --repo', ['--tag', '1.0.0'], 2, /need --repo/],
  ])('refuses %s', async (_what, args, code, message) => {
    const dir = fixture();
    const seedFile = join(dir, 'bad.json');
    writeFileSync(seedFile, JSON.stringify({ repos: [{ name: 'no-slash' }] }));
    const { exited } = run(args.map((arg) => (arg === 'SEED' ? seedFile : arg)));
    const result = await exited;
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });
});
