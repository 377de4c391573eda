import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../github-emulator/index.js';
import { bonsai } from '../cli/run-cli.js';

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/hello-world');
const REPO = 'acme/hello-world';
const TAG = '0.0.1';
const TOKEN = 'write-token';

let gh: GitHubEmulator;
let receiver: Server;
let received: { action: string; assets: number }[];
let dir: string;

beforeAll(async () => {
  gh = await startGitHubEmulator();
  received = [];
  // A webhook receiver: records each release event and how many files the release had at that moment.
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const payload = JSON.parse(body) as { action?: string; release?: { assets: unknown[] } };
      if (payload.release)
        received.push({ action: payload.action ?? '', assets: payload.release.assets.length });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await gh.close();
  await new Promise((resolve) => receiver.close(resolve));
});

beforeEach(async () => {
  gh.reset();
  received.length = 0;
  gh.state.createRepo(REPO);
  gh.state.addToken(TOKEN, { login: 'acme', write: true });
  gh.state.addToken('read-token', { login: 'reader' });
  gh.state.commit(REPO, { files: { 'README.md': 'hello' }, tag: TAG });
  gh.state.addHook(REPO, {
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`,
    secret: 's',
  });
  dir = await mkdtemp(path.join(tmpdir(), 'bonsai-publish-'));
  await cp(example, dir, { recursive: true });
  const packed = await bonsai(['pack', '--version', TAG, '--repo', 'hello-world'], { cwd: dir });
  expect(packed.code, packed.stderr).toBe(0);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const publish = (args: string[] = [], env: Record<string, string> = { GITHUB_TOKEN: TOKEN }) =>
  bonsai(['publish', '--repo', REPO, '--tag', TAG, '--github-api-url', gh.apiUrl, '--no-pacing', ...args], {
    cwd: dir,
    env,
  });

const sha512 = (bytes: Buffer) => createHash('sha512').update(bytes).digest('hex');
const distFiles = async () => (await readdir(path.join(dir, 'dist'))).sort();
const uploads = () => gh.requests.filter((r) => r.origin === 'uploads');
const theRelease = () => gh.state.releases(REPO).find((r) => r.tag_name === TAG);

describe('bonsai publish', () => {
  it('creates the release, uploads every file with its exact bytes, and publishes it last', async () => {
    const run = await publish();
    expect(run.code, run.stderr).toBe(0);
    const release = theRelease();
    expect(release).toMatchObject({ draft: false, prerelease: false, name: TAG });
    const names = release!.assets.map((a) => a.name).sort();
    expect(names).toEqual(await distFiles());
    for (const asset of release!.assets) {
      const local = await readFile(path.join(dir, 'dist', asset.name));
      expect(sha512(gh.state.assetBytes(asset.id))).toBe(sha512(local));
    }
    expect(run.stderr).toContain(`created draft release ${TAG}`);
    expect(run.stderr).toMatch(/^uploaded +hello-world_0\.0\.1_linux_amd64\.tar\.gz \(\d+ B\)$/m);
    expect(run.stdout).toContain(`release ${TAG} of ${REPO}: published, 5 files`);
    // The registry's webhook sees `published` only once every file is there.
    await gh.webhooks.settled();
    expect(received.find((e) => e.action === 'published')).toEqual({ action: 'published', assets: 5 });
  });

  it('uploads the signature pack wrote beside the checksum file', async () => {
    const keys = await bonsai(['keygen', '--key', 'release.key', '--pub', 'release.pub'], { cwd: dir });
    expect(keys.code, keys.stderr).toBe(0);
    const packed = await bonsai(
      ['pack', '--version', TAG, '--repo', 'hello-world', '--sign', 'release.key'],
      {
        cwd: dir,
      },
    );
    expect(packed.code, packed.stderr).toBe(0);
    const run = await publish();
    expect(run.code, run.stderr).toBe(0);
    const signature = 'hello-world_0.0.1_sha512-checksums.txt.minisig';
    const asset = theRelease()!.assets.find((a) => a.name === signature);
    expect(asset).toBeDefined();
    expect(gh.state.assetBytes(asset!.id).toString()).toBe(
      await readFile(path.join(dir, 'dist', signature), 'utf8'),
    );
  });

  it('changes nothing on a re-run: every file is skipped, nothing is uploaded', async () => {
    expect((await publish()).code).toBe(0);
    const before = uploads().length;
    const again = await publish(['--json']);
    expect(again.code).toBe(0);
    expect(uploads().length).toBe(before);
    const result = JSON.parse(again.stdout);
    expect(result.ok).toBe(true);
    expect(result.release.created).toBe(false);
    expect(result.files.map((f: { action: string }) => f.action)).toEqual(Array(5).fill('skipped'));
    expect(gh.state.releases(REPO)).toHaveLength(1);
  });

  it('retries transient failures (a 502 on creation, connection resets on upload) and succeeds', async () => {
    gh.faults.inject({
      method: 'POST',
      path: '/repos/:owner/:repo/releases',
      times: 1,
      action: { kind: 'status', status: 502 },
    });
    gh.faults.inject({ origin: 'uploads', path: '/repos/*', times: 2, action: { kind: 'connection-reset' } });
    const run = await publish();
    expect(run.code, run.stderr).toBe(0);
    expect(theRelease()!.assets).toHaveLength(5);
    expect(gh.state.releases(REPO)).toHaveLength(1);
  });

  it('says first that dist was packed for another repository, listing its files once', async () => {
    gh.state.createRepo('acme/other');
    const run = await bonsai(
      [
        'publish',
        '--repo',
        'acme/other',
        '--tag',
        TAG,
        '--github-api-url',
        gh.apiUrl,
        '--no-pacing',
        '--json',
      ],
      { cwd: dir, env: { GITHUB_TOKEN: TOKEN } },
    );
    expect(run.code).toBe(1);
    expect(gh.requests).toEqual([]);
    const lines = run.stderr.split('\n');
    expect(lines[0]).toBe(
      'dist  error DIST_PACKED_FOR_OTHER_RELEASE  dist was packed for hello-world 0.0.1; this release is ' +
        `other 0.0.1: run bonsai pack --repo other --version 0.0.1 (dist has: ${(await distFiles()).join(', ')})`,
    );
    expect(lines[1]).toBe(
      '  hint: file names carry the repository name and tag (#{repo}, #{version}): bonsai pack --repo other --version 0.0.1, then check again',
    );
    // The files are listed once, not in every missing-file error.
    expect(run.stderr.split('hello-world_0.0.1_linux_amd64.tar.gz')).toHaveLength(2);
    expect(run.stderr).toContain('missing GitHub release asset for other_0.0.1_linux_amd64.tar.gz\n');
    const result = JSON.parse(run.stdout);
    expect(result.problems[0]).toMatchObject({ code: 'DIST_PACKED_FOR_OTHER_RELEASE', file: 'dist' });
  });

  it('refuses a broken dist before sending any request', async () => {
    await rm(path.join(dir, 'dist', 'hello-world_0.0.1_linux_arm64.tar.gz'));
    const run = await publish(['--json']);
    expect(run.code).toBe(1);
    expect(gh.requests).toEqual([]);
    expect(run.stderr).toContain('missing GitHub release asset for hello-world_0.0.1_linux_arm64.tar.gz');
    expect(run.stderr).toContain(
      'error [PUBLISH_CHECK_FAILED]: check failed for acme/hello-world 0.0.1: nothing was uploaded',
    );
    const result = JSON.parse(run.stdout);
    // The one failure shape of every verb: {ok, error, problems}.
    expect(Object.keys(result)).toEqual(['ok', 'error', 'problems']);
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'PUBLISH_CHECK_FAILED', hint: expect.stringContaining('bonsai check') },
    });
    expect(result.problems[0]).toMatchObject({ code: 'RELEASE_ASSET_MISSING', line: 14 });
  });

  it('refuses files that differ from those already uploaded, uploading nothing; --replace replaces them', async () => {
    expect((await publish()).code).toBe(0);
    const before = uploads().length;
    await writeFile(path.join(dir, 'bin', 'hello-world'), '#!/bin/sh\necho "Hello again"\n', { mode: 0o755 });
    expect((await bonsai(['pack', '--version', TAG, '--repo', 'hello-world'], { cwd: dir })).code).toBe(0);

    const refused = await publish();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'error [PUBLISH_ASSET_CONFLICT]: the release already has different files with these names:',
    );
    expect(refused.stderr).toContain('nothing was uploaded');
    expect(refused.stderr).toContain('hint: a published file is what users pinned by sha512');
    expect(uploads().length).toBe(before);

    const replaced = await publish(['--replace']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stderr).toMatch(/^replaced +hello-world_0\.0\.1_linux_amd64\.tar\.gz/m);
    for (const asset of theRelease()!.assets) {
      expect(sha512(gh.state.assetBytes(asset.id))).toBe(
        sha512(await readFile(path.join(dir, 'dist', asset.name))),
      );
    }
  });

  it('leaves a draft with --draft, publishes it with --no-draft, and takes notes from a file', async () => {
    await writeFile(path.join(dir, 'NOTES.md'), '## 0.0.1\nFirst release.\n');
    expect((await publish(['--draft', '--notes', 'NOTES.md'])).code).toBe(0);
    expect(theRelease()).toMatchObject({ draft: true, body: '## 0.0.1\nFirst release.\n' });
    await gh.webhooks.settled();
    expect(received.map((e) => e.action)).not.toContain('published');

    const run = await publish(['--no-draft']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`reusing release ${TAG}`);
    expect(theRelease()).toMatchObject({ draft: false, body: '## 0.0.1\nFirst release.\n' });
  });

  it('refuses --draft for a release already published, changing nothing', async () => {
    expect((await publish()).code).toBe(0);
    const before = gh.requests.length;
    const run = await publish(['--draft']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error [PUBLISH_RELEASE_PUBLISHED]: the release for 0.0.1 on acme/hello-world is already published; --draft would hide it',
    );
    expect(gh.requests.slice(before).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(theRelease()).toMatchObject({ draft: false });
  });

  it('marks a pre-release with --prerelease', async () => {
    const run = await publish(['--prerelease']);
    expect(run.code).toBe(0);
    expect(theRelease()).toMatchObject({ draft: false, prerelease: true });
    expect(run.stdout).toContain('published (pre-release)');
  });
});

describe('bonsai publish: errors', () => {
  it('needs GITHUB_TOKEN (exit 2, nothing sent)', async () => {
    const run = await publish([], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error [GITHUB_TOKEN_MISSING]: GITHUB_TOKEN is not set');
    expect(run.stderr).toContain('hint: create a token with contents: write');
    expect(gh.requests).toEqual([]);
  });

  it('reports a token GitHub refuses (exit 1)', async () => {
    const run = await publish([], { GITHUB_TOKEN: 'nope' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error [GITHUB_BAD_CREDENTIALS]: GitHub refused the token in GITHUB_TOKEN');
  });

  it('reports a token without write access before creating anything (exit 1)', async () => {
    const run = await publish([], { GITHUB_TOKEN: 'read-token' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error [GITHUB_NO_PERMISSION]: the token in GITHUB_TOKEN can read acme/hello-world but not write to it',
    );
    expect(gh.state.releases(REPO)).toEqual([]);
  });

  it('reports a tag that is not pushed, saying how to push it (exit 1)', async () => {
    gh.state.deleteTag(REPO, TAG);
    const run = await publish();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error [PUBLISH_TAG_MISSING]: tag 0.0.1 does not exist on acme/hello-world');
    expect(run.stderr).toContain('hint: push it first: git tag 0.0.1 && git push origin 0.0.1');
    expect(gh.state.releases(REPO)).toEqual([]);
  });

  it('reports an unknown repository (exit 1)', async () => {
    const run = await bonsai(
      [
        'publish',
        '--repo',
        'someone-else/hello-world',
        '--tag',
        TAG,
        '--github-api-url',
        gh.apiUrl,
        '--no-pacing',
      ],
      { cwd: dir, env: { GITHUB_TOKEN: TOKEN } },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error [GITHUB_NOT_FOUND]: reading repository someone-else/hello-world: not found on someone-else/hello-world (404)',
    );
    expect(run.stderr).toContain('hint: check --repo');
  });

  it('reports a spent rate limit with the time to retry (exit 3)', async () => {
    gh.faults.inject({
      path: '/repos/*',
      times: 'forever',
      action: { kind: 'primary-rate-limit', resetInSeconds: 3600 },
    });
    const run = await publish();
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /error \[GITHUB_RATE_LIMITED\]: GitHub's rate limit is spent \(reading repository acme\/hello-world\); it resets at \d{4}-\d\d-\d\dT/,
    );
    expect(run.stderr).toContain('files already uploaded are skipped');
  });

  it('reports GitHub failing after the retries (exit 3)', async () => {
    gh.faults.inject({ path: '/repos/*', times: 'forever', action: { kind: 'status', status: 503 } });
    const run = await publish();
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      'error [GITHUB_UNAVAILABLE]: reading repository acme/hello-world failed after retries',
    );
  });

  it.each([
    [['--repo', 'just-a-name'], '--repo must be OWNER/NAME'],
    [['--notes', 'missing.md'], 'cannot read the release notes missing.md'],
  ])('exits 2 on bad input %j', async (args, message) => {
    const run = await bonsai(
      ['publish', '--repo', REPO, '--tag', TAG, '--github-api-url', gh.apiUrl, ...args],
      {
        cwd: dir,
        env: { GITHUB_TOKEN: TOKEN },
      },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(gh.requests).toEqual([]);
  });

  it('requires --repo and --tag (exit 2)', async () => {
    const run = await bonsai(['publish'], { cwd: dir, env: { GITHUB_TOKEN: TOKEN } });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("required option '--repo <owner/name>' not specified");
  });
});
