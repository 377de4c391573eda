import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from './emulator.js';
import type { ReleaseJson } from './render.js';
import { failure, octokit } from './test-clients.js';

let gh: GitHubEmulator;
const owner = 'sensu';
const repo = 'check-disk';
const full = `${owner}/${repo}`;
const archive = randomBytes(4096);

beforeAll(async () => {
  gh = await startGitHubEmulator();
});
afterAll(() => gh.close());

let release: ReleaseJson;
beforeEach(() => {
  gh.reset();
  gh.state.createRepo(full);
  gh.state.createRepo('acme/secret', { private: true });
  gh.state.addToken('writer', { login: 'alice', write: true });
  gh.state.addToken('reader', { login: 'bob' });
  gh.state.commit(full, { files: { 'bonsai.yml': 'builds: []\n' }, tag: '1.0.0' });
  gh.state.commit('acme/secret', { files: { 'bonsai.yml': 'builds: []\n' }, tag: '1.0.0' });
  release = gh.state.createRelease(full, { tag_name: '1.0.0' });
});

/** What a publisher does: upload through the `upload_url` the release names (the uploads origin). */
const upload = (token: string, rel: ReleaseJson, name: string, data: Buffer, label?: string) =>
  octokit(gh, token).rest.repos.uploadReleaseAsset({
    owner,
    repo,
    release_id: rel.id,
    url: rel.upload_url,
    name,
    ...(label ? { label } : {}),
    data: data as unknown as string,
    headers: { 'content-type': 'application/gzip', 'content-length': data.length },
  });

describe('upload', () => {
  it('uploads through the uploads origin derived from upload_url and answers 201 with the asset', async () => {
    const { status, data: asset } = await upload(
      'writer',
      release,
      'check-disk_1.0.0_linux_amd64.tar.gz',
      archive,
      'Linux',
    );
    expect(status).toBe(201);
    expect(asset).toMatchObject({
      name: 'check-disk_1.0.0_linux_amd64.tar.gz',
      label: 'Linux',
      state: 'uploaded',
      content_type: 'application/gzip',
      size: archive.length,
      digest: `sha256:${createHash('sha256').update(archive).digest('hex')}`,
      download_count: 0,
      uploader: { login: 'alice' },
      url: `${gh.apiUrl}/repos/${full}/releases/assets/${asset.id}`,
      browser_download_url: `${gh.webUrl}/${full}/releases/download/1.0.0/check-disk_1.0.0_linux_amd64.tar.gz`,
    });
    expect(gh.requests.at(-1)).toMatchObject({ origin: 'uploads', method: 'POST', status: 201 });
    expect(gh.state.assetBytes(asset.id).equals(archive)).toBe(true);
  });

  it('refuses a second asset with the same name (422 already_exists)', async () => {
    await upload('writer', release, 'a.tar.gz', archive);
    const answer = await failure(upload('writer', release, 'a.tar.gz', Buffer.from('other')));
    expect(answer.status).toBe(422);
    expect(answer.data).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }],
    });
  });

  it('renames a file name with characters GitHub does not keep', async () => {
    const { data } = await upload('writer', release, 'my check (linux).tar.gz', archive);
    expect(data.name).toBe('my.check..linux..tar.gz');
  });

  it.each([
    ['without a token', undefined, 401, 'Requires authentication'],
    ['with a read-only token', 'reader', 403, 'Resource not accessible by personal access token'],
  ])('refuses an upload %s', async (_what, token, status, message) => {
    const response = await fetch(
      `${gh.uploadsUrl}/repos/${full}/releases/${release.id}/assets?name=x.tar.gz`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/gzip',
          ...(token ? { authorization: `token ${token}` } : {}),
        },
        body: archive,
      },
    );
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ message });
    expect(gh.state.releases(full)[0]?.assets).toEqual([]);
  });

  it('answers 422 for an upload without a name and 404 for an unknown release', async () => {
    const post = (path: string) =>
      fetch(`${gh.uploadsUrl}${path}`, {
        method: 'POST',
        headers: { authorization: 'token writer' },
        body: archive,
      });
    const unnamed = await post(`/repos/${full}/releases/${release.id}/assets`);
    expect(unnamed.status).toBe(422);
    expect(await unnamed.json()).toMatchObject({ errors: [{ code: 'missing_field', field: 'name' }] });
    expect((await post(`/repos/${full}/releases/1/assets?name=x`)).status).toBe(404);
  });
});

describe('list, get, update, delete', () => {
  it('lists assets in upload order, gets one, relabels and deletes it', async () => {
    const one = gh.state.addAsset(release.id, { name: 'one.tar.gz', data: 'one' });
    const two = gh.state.addAsset(release.id, { name: 'two.tar.gz', data: 'two' });
    const client = octokit(gh, 'writer');
    const listed = await client.rest.repos.listReleaseAssets({ owner, repo, release_id: release.id });
    expect(listed.data.map((a) => a.name)).toEqual(['one.tar.gz', 'two.tar.gz']);
    expect(
      (await client.rest.repos.getRelease({ owner, repo, release_id: release.id })).data.assets,
    ).toHaveLength(2);

    const got = await client.rest.repos.getReleaseAsset({ owner, repo, asset_id: one.id });
    expect(got.data).toMatchObject({ id: one.id, name: 'one.tar.gz', size: 3 });

    const relabelled = await client.rest.repos.updateReleaseAsset({
      owner,
      repo,
      asset_id: two.id,
      label: 'Two',
    });
    expect(relabelled.data.label).toBe('Two');

    expect((await client.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: one.id })).status).toBe(204);
    expect((await failure(client.rest.repos.getReleaseAsset({ owner, repo, asset_id: one.id }))).status).toBe(
      404,
    );
    const after = await client.rest.repos.listReleaseAssets({ owner, repo, release_id: release.id });
    expect(after.data.map((a) => a.name)).toEqual(['two.tar.gz']);
  });
});

describe('download', () => {
  it('redirects the API octet-stream request to the CDN origin, which serves the exact bytes', async () => {
    const asset = gh.state.addAsset(release.id, { name: 'a.tar.gz', data: archive });
    const response = await octokit(gh).rest.repos.getReleaseAsset({
      owner,
      repo,
      asset_id: asset.id,
      headers: { accept: 'application/octet-stream' },
    });
    expect(response.status).toBe(200);
    expect(new URL(response.url).origin).toBe(gh.cdnUrl);
    expect(Buffer.from(response.data as unknown as ArrayBuffer).equals(archive)).toBe(true);
    expect(gh.requests.slice(-2).map((r) => [r.origin, r.status])).toEqual([
      ['api', 302],
      ['cdn', 200],
    ]);
    const counted = await octokit(gh).rest.repos.getReleaseAsset({ owner, repo, asset_id: asset.id });
    expect(counted.data.download_count).toBe(1);
  });

  it('serves a private repository asset to a token through the API, and never without one', async () => {
    const secret = gh.state.createRelease('acme/secret', { tag_name: '1.0.0' });
    const asset = gh.state.addAsset(secret.id, { name: 's.tar.gz', data: archive });
    const params = {
      owner: 'acme',
      repo: 'secret',
      asset_id: asset.id,
      headers: { accept: 'application/octet-stream' },
    };
    const ok = await octokit(gh, 'reader').rest.repos.getReleaseAsset(params);
    expect(Buffer.from(ok.data as unknown as ArrayBuffer).equals(archive)).toBe(true);
    expect((await failure(octokit(gh).rest.repos.getReleaseAsset(params))).status).toBe(404);
    expect((await fetch(asset.browser_download_url)).status).toBe(404);
  });

  it('redirects browser_download_url (and latest/download) to the CDN', async () => {
    const asset = gh.state.addAsset(release.id, { name: 'a.tar.gz', data: archive });
    for (const url of [
      asset.browser_download_url,
      `${gh.webUrl}/${full}/releases/latest/download/a.tar.gz`,
    ]) {
      const redirect = await fetch(url, { redirect: 'manual' });
      expect(redirect.status).toBe(302);
      expect(new URL(redirect.headers.get('location') ?? '').origin).toBe(gh.cdnUrl);
      const followed = await fetch(url);
      expect(followed.headers.get('content-disposition')).toBe('attachment; filename="a.tar.gz"');
      expect(Buffer.from(await followed.arrayBuffer()).equals(archive)).toBe(true);
    }
    expect((await fetch(`${gh.webUrl}/${full}/releases/download/1.0.0/missing.tar.gz`)).status).toBe(404);
  });

  it('refuses a CDN link whose signature was altered', async () => {
    const asset = gh.state.addAsset(release.id, { name: 'a.tar.gz', data: archive });
    const redirect = await fetch(asset.browser_download_url, { redirect: 'manual' });
    const location = new URL(redirect.headers.get('location') ?? '');
    location.searchParams.set('signature', '0'.repeat(64));
    expect((await fetch(location)).status).toBe(403);
  });

  it('hides the assets of a draft from readers', async () => {
    const draft = gh.state.createRelease(full, { tag_name: '2.0.0', draft: true });
    const asset = gh.state.addAsset(draft.id, { name: 'd.tar.gz', data: archive });
    expect(
      (await failure(octokit(gh, 'reader').rest.repos.getReleaseAsset({ owner, repo, asset_id: asset.id })))
        .status,
    ).toBe(404);
    expect(
      (await octokit(gh, 'writer').rest.repos.getReleaseAsset({ owner, repo, asset_id: asset.id })).status,
    ).toBe(200);
    expect((await fetch(asset.browser_download_url)).status).toBe(404);
  });
});
