import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from './emulator.js';
import type { ReleaseJson } from './render.js';
import { failure, octokit, resilientOctokit } from './test-clients.js';
import { waitFor } from '../registry/support/wait.js';

let gh: GitHubEmulator;
const owner = 'sensu';
const repo = 'check-disk';
const full = `${owner}/${repo}`;
let release: ReleaseJson;

beforeAll(async () => {
  gh = await startGitHubEmulator();
});
afterAll(() => gh.close());
beforeEach(() => {
  gh.reset();
  gh.state.createRepo(full);
  gh.state.addToken('writer', { login: 'alice', write: true });
  gh.state.commit(full, { files: { 'bonsai.yml': 'x' }, tag: '1.0.0' });
  release = gh.state.createRelease(full, { tag_name: '1.0.0' });
});

const statuses = (origin: string) => gh.requests.filter((r) => r.origin === origin).map((r) => r.status);

describe('status faults', () => {
  it('fails one request with the injected status and body; plugin-retry then succeeds', async () => {
    const fault = gh.faults.inject({
      method: 'GET',
      path: '/repos/:owner/:repo/releases',
      action: { kind: 'status', status: 500, body: { message: 'Server Error' } },
    });
    const { client } = resilientOctokit(gh);
    const { data } = await client.rest.repos.listReleases({ owner, repo });
    expect(data.map((r) => r.id)).toEqual([release.id]);
    expect(fault.hits).toBe(1);
    expect(statuses('api')).toEqual([500, 200]);
  });

  it('shows the fault to a client without retries, then answers normally', async () => {
    gh.faults.inject({ path: '/repos/:owner/:repo/releases', action: { kind: 'status', status: 502 } });
    const answer = await failure(octokit(gh).rest.repos.listReleases({ owner, repo }));
    expect(answer.status).toBe(502);
    expect(answer.data).toEqual({ message: 'Bad Gateway' });
    expect((await octokit(gh).rest.repos.listReleases({ owner, repo })).status).toBe(200);
  });

  it('spoils as many requests as asked, only for the method and path given', async () => {
    gh.faults.inject({ method: 'POST', path: '/repos/*', times: 2, action: { kind: 'status', status: 503 } });
    const client = octokit(gh, 'writer');
    expect((await client.rest.repos.listReleases({ owner, repo })).status).toBe(200);
    expect((await failure(client.rest.repos.createRelease({ owner, repo, tag_name: '2.0.0' }))).status).toBe(
      503,
    );
    expect((await failure(client.rest.repos.createRelease({ owner, repo, tag_name: '2.0.0' }))).status).toBe(
      503,
    );
    expect((await client.rest.repos.createRelease({ owner, repo, tag_name: '2.0.0' })).status).toBe(201);
  });

  it('keeps failing a forever fault until cleared', async () => {
    gh.faults.inject({ path: /\/releases$/, times: 'forever', action: { kind: 'status', status: 500 } });
    const { client } = resilientOctokit(gh);
    expect((await failure(client.rest.repos.listReleases({ owner, repo }))).status).toBe(500);
    expect(statuses('api')).toEqual([500, 500, 500, 500]);
    gh.faults.clear();
    expect((await client.rest.repos.listReleases({ owner, repo })).status).toBe(200);
  });

  it('delays a request, which then answers normally', async () => {
    const fault = gh.faults.inject({ path: '/repos/:owner/:repo', action: { kind: 'delay', ms: 200 } });
    const { data } = await octokit(gh).rest.repos.get({ owner, repo });
    expect(data.full_name).toBe(full);
    expect(fault.hits).toBe(1);
  });

  it('holds a request until the test lets it go, which then answers normally', async () => {
    let answer!: () => void;
    const until = new Promise<void>((resolve) => (answer = resolve));
    const fault = gh.faults.inject({ path: '/repos/:owner/:repo', action: { kind: 'hold', until } });
    let answered = false;
    const request = octokit(gh)
      .rest.repos.get({ owner, repo })
      .finally(() => (answered = true));
    await waitFor('the request to arrive', () => fault.hits > 0);
    // Whatever else happens meanwhile (here another request), it waits.
    expect((await octokit(gh).rest.repos.listReleases({ owner, repo })).status).toBe(200);
    expect(answered).toBe(false);
    answer();
    expect((await request).data.full_name).toBe(full);
  });
});

describe('rate-limit faults', () => {
  it('answers a secondary rate limit with Retry-After and GitHub message; plugin-throttling waits and retries', async () => {
    gh.faults.inject({
      path: '/repos/:owner/:repo/releases/tags/*',
      action: { kind: 'secondary-rate-limit', retryAfter: 7 },
    });
    const plain = await failure(octokit(gh).rest.repos.getReleaseByTag({ owner, repo, tag: '1.0.0' }));
    expect(plain.status).toBe(403);
    expect(plain.headers['retry-after']).toBe('7');
    expect(plain.data).toMatchObject({
      message: expect.stringContaining('You have exceeded a secondary rate limit'),
    });

    gh.faults.inject({
      path: '/repos/:owner/:repo/releases/tags/*',
      action: { kind: 'secondary-rate-limit', retryAfter: 7 },
    });
    const { client, limits } = resilientOctokit(gh);
    const { data } = await client.rest.repos.getReleaseByTag({ owner, repo, tag: '1.0.0' });
    expect(data.id).toBe(release.id);
    expect(limits).toEqual([{ kind: 'secondary', retryAfter: 7, retryCount: 0 }]);
  });

  it('answers a primary rate limit with remaining 0 and a reset; plugin-throttling reports when to retry', async () => {
    gh.faults.inject({
      path: '/repos/:owner/:repo',
      action: { kind: 'primary-rate-limit', resetInSeconds: 120 },
    });
    const { client, limits } = resilientOctokit(gh, 'writer');
    const answer = await failure(client.rest.repos.get({ owner, repo }));
    expect(answer.status).toBe(403);
    expect(answer.headers['x-ratelimit-remaining']).toBe('0');
    expect(limits[0]?.kind).toBe('primary');
    expect(limits[0]?.retryAfter).toBeGreaterThan(100);
  });
});

describe('connection resets', () => {
  it('destroys the socket: a plain client fails, plugin-retry succeeds on the next attempt', async () => {
    gh.faults.inject({ path: '/repos/:owner/:repo/releases/latest', action: { kind: 'connection-reset' } });
    const broken = await failure(octokit(gh).rest.repos.getLatestRelease({ owner, repo }));
    expect(broken.status).toBe(500);

    gh.faults.inject({ path: '/repos/:owner/:repo/releases/latest', action: { kind: 'connection-reset' } });
    const { client } = resilientOctokit(gh);
    expect((await client.rest.repos.getLatestRelease({ owner, repo })).data.id).toBe(release.id);
    expect(statuses('api')).toEqual([0, 0, 200]);
  });

  it('resets a CDN download, which a retried download then gets whole', async () => {
    const bytes = Buffer.from('archive bytes');
    const asset = gh.state.addAsset(release.id, { name: 'a.tar.gz', data: bytes });
    gh.faults.inject({ origin: 'cdn', path: '/releases/*', action: { kind: 'connection-reset' } });
    const { client } = resilientOctokit(gh);
    const { data } = await client.rest.repos.getReleaseAsset({
      owner,
      repo,
      asset_id: asset.id,
      headers: { accept: 'application/octet-stream' },
    });
    expect(Buffer.from(data as unknown as ArrayBuffer).equals(bytes)).toBe(true);
    expect(statuses('cdn')).toEqual([0, 200]);
  });
});

describe('trickled downloads', () => {
  async function download(assetId: number): Promise<Response> {
    const api = await fetch(`${gh.apiUrl}/repos/${full}/releases/assets/${assetId}`, {
      headers: { accept: 'application/octet-stream' },
      redirect: 'manual',
    });
    return fetch(api.headers.get('location')!);
  }

  it('sends the body a few bytes at a time, then ends it', async () => {
    const bytes = Buffer.from('0123456789');
    const asset = gh.state.addAsset(release.id, { name: 'slow.tar.gz', data: bytes });
    gh.faults.inject({
      origin: 'cdn',
      path: '/releases/*',
      action: { kind: 'trickle', bytes: 3, everyMs: 5 },
    });
    const res = await download(asset.id);
    const chunks: number[] = [];
    for await (const chunk of res.body!) chunks.push(chunk.length);
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(10);
    expect(chunks.length).toBeGreaterThanOrEqual(4);
  });

  it('never ends a body sent forever, while data keeps coming', async () => {
    const asset = gh.state.addAsset(release.id, { name: 'endless.tar.gz', data: Buffer.from('abc') });
    gh.faults.inject({
      origin: 'cdn',
      path: '/releases/*',
      action: { kind: 'trickle', bytes: 2, everyMs: 1, forever: true },
    });
    const res = await download(asset.id);
    const reader = res.body!.getReader();
    let received = 0;
    while (received < 50) {
      const { done, value } = await reader.read();
      expect(done).toBe(false);
      received += value!.length;
    }
    await reader.cancel();
  });
});

describe('faults on the uploads origin', () => {
  it('retries a failed upload, which then lands once', async () => {
    gh.faults.inject({
      origin: 'uploads',
      method: 'POST',
      path: '/repos/*',
      action: { kind: 'status', status: 502 },
    });
    const { client } = resilientOctokit(gh, 'writer');
    const data = Buffer.from('archive');
    const { status } = await client.rest.repos.uploadReleaseAsset({
      owner,
      repo,
      release_id: release.id,
      url: release.upload_url,
      name: 'a.tar.gz',
      data: data as unknown as string,
      headers: { 'content-type': 'application/gzip' },
    });
    expect(status).toBe(201);
    expect(statuses('uploads')).toEqual([502, 201]);
    expect(gh.state.releases(full)[0]?.assets.map((a) => a.name)).toEqual(['a.tar.gz']);
  });
});
