import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from './emulator.js';
import { failure, octokit } from './test-clients.js';

let gh: GitHubEmulator;
const owner = 'sensu';
const repo = 'check-disk';
const full = `${owner}/${repo}`;

beforeAll(async () => {
  gh = await startGitHubEmulator();
});
afterAll(() => gh.close());
beforeEach(() => {
  gh.reset();
  gh.state.createRepo(full);
  gh.state.addToken('writer', { login: 'alice', write: true });
  gh.state.addToken('reader', { login: 'bob' });
  gh.state.commit(full, { files: { 'bonsai.yml': 'builds: []\n' }, tag: '1.0.0' });
});

describe('create, get, update, delete', () => {
  it('creates a release with GitHub shape and finds it by id, by tag and as latest', async () => {
    const client = octokit(gh, 'writer');
    const created = await client.rest.repos.createRelease({
      owner,
      repo,
      tag_name: '1.0.0',
      name: 'One',
      body: 'notes',
    });
    expect(created.status).toBe(201);
    const { id } = created.data;
    expect(created.data).toMatchObject({
      tag_name: '1.0.0',
      name: 'One',
      body: 'notes',
      draft: false,
      prerelease: false,
      target_commitish: 'main',
      author: { login: 'alice' },
      assets: [],
      url: `${gh.apiUrl}/repos/${full}/releases/${id}`,
      assets_url: `${gh.apiUrl}/repos/${full}/releases/${id}/assets`,
      upload_url: `${gh.uploadsUrl}/repos/${full}/releases/${id}/assets{?name,label}`,
      html_url: `${gh.webUrl}/${full}/releases/tag/1.0.0`,
    });
    expect(created.data.published_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(created.headers.location).toBe(created.data.url);

    const reader = octokit(gh);
    expect((await reader.rest.repos.getRelease({ owner, repo, release_id: id })).data.id).toBe(id);
    expect((await reader.rest.repos.getReleaseByTag({ owner, repo, tag: '1.0.0' })).data.id).toBe(id);
    expect((await reader.rest.repos.getLatestRelease({ owner, repo })).data.id).toBe(id);
  });

  it('refuses a second release for the same tag with 422 already_exists', async () => {
    const client = octokit(gh, 'writer');
    await client.rest.repos.createRelease({ owner, repo, tag_name: '1.0.0' });
    const answer = await failure(client.rest.repos.createRelease({ owner, repo, tag_name: '1.0.0' }));
    expect(answer.status).toBe(422);
    expect(answer.data).toEqual({
      message: 'Validation Failed',
      errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
      documentation_url: 'https://docs.github.com/rest/releases/releases#create-a-release',
      status: '422',
    });
  });

  it('creates a missing tag at target_commitish (the default branch unless given), as GitHub does', async () => {
    const older = gh.state.commit(full, { files: { x: 'older' } });
    const head = gh.state.commit(full, { files: { x: 'head' } });
    const client = octokit(gh, 'writer');
    await client.rest.repos.createRelease({ owner, repo, tag_name: '2.0.0' });
    expect((await client.rest.git.getRef({ owner, repo, ref: 'tags/2.0.0' })).data.object.sha).toBe(head);
    await client.rest.repos.createRelease({ owner, repo, tag_name: '1.5.0', target_commitish: older });
    expect((await client.rest.git.getRef({ owner, repo, ref: 'tags/1.5.0' })).data.object.sha).toBe(older);
  });

  it.each([
    [
      'an unknown target_commitish',
      { tag_name: '3.0.0', target_commitish: 'no-such-branch' },
      422,
      'Validation Failed',
    ],
    ['a missing tag_name', {}, 422, 'Invalid request.\n\n"tag_name" wasn\'t supplied.'],
    ['a tag_name git refuses', { tag_name: 'bad tag' }, 422, 'Validation Failed'],
    [
      'a draft flag that is not a boolean',
      { tag_name: '3.0.0', draft: 'yes' },
      422,
      `Invalid request.\n\nFor 'properties/draft', "yes" is not a boolean.`,
    ],
  ])('refuses %s', async (_what, body, status, message) => {
    const answer = await failure(
      octokit(gh, 'writer').request('POST /repos/{owner}/{repo}/releases', { owner, repo, ...body } as never),
    );
    expect(answer.status).toBe(status);
    expect(answer.data).toMatchObject({ message });
  });

  it('answers 400 for a body that is not JSON', async () => {
    const response = await fetch(`${gh.apiUrl}/repos/${full}/releases`, {
      method: 'POST',
      headers: { authorization: 'token writer' },
      body: '{"tag_name":',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ message: 'Problems parsing JSON' });
  });

  it('refuses a release in an empty repository', async () => {
    gh.state.createRepo('sensu/empty');
    const answer = await failure(
      octokit(gh, 'writer').rest.repos.createRelease({ owner, repo: 'empty', tag_name: '1.0.0' }),
    );
    expect(answer.status).toBe(422);
    expect(answer.data).toMatchObject({ message: 'Repository is empty.' });
  });

  it('updates a release, moving its tag, and refuses a tag another release has', async () => {
    const client = octokit(gh, 'writer');
    const { data: one } = await client.rest.repos.createRelease({ owner, repo, tag_name: '1.0.0' });
    gh.state.commit(full, { files: { x: '2' }, tag: '2.0.0' });
    await client.rest.repos.createRelease({ owner, repo, tag_name: '2.0.0' });
    const { data: renamed } = await client.rest.repos.updateRelease({
      owner,
      repo,
      release_id: one.id,
      tag_name: '1.0.1',
      name: 'renamed',
    });
    expect(renamed).toMatchObject({
      tag_name: '1.0.1',
      name: 'renamed',
      html_url: `${gh.webUrl}/${full}/releases/tag/1.0.1`,
    });
    const clash = await failure(
      client.rest.repos.updateRelease({ owner, repo, release_id: one.id, tag_name: '2.0.0' }),
    );
    expect(clash.status).toBe(422);
    expect(clash.data).toMatchObject({ errors: [{ code: 'already_exists', field: 'tag_name' }] });
  });

  it('deletes a release (204), after which it is 404', async () => {
    const client = octokit(gh, 'writer');
    const { data } = await client.rest.repos.createRelease({ owner, repo, tag_name: '1.0.0' });
    expect((await client.rest.repos.deleteRelease({ owner, repo, release_id: data.id })).status).toBe(204);
    expect((await failure(client.rest.repos.getRelease({ owner, repo, release_id: data.id }))).status).toBe(
      404,
    );
    expect((await failure(client.rest.repos.getReleaseByTag({ owner, repo, tag: '1.0.0' }))).status).toBe(
      404,
    );
  });
});

describe('drafts, prereleases and latest', () => {
  it('hides drafts from callers without push access and from lookups by tag', async () => {
    const writer = octokit(gh, 'writer');
    const { data: draft } = await writer.rest.repos.createRelease({
      owner,
      repo,
      tag_name: '9.9.9',
      draft: true,
    });
    expect(draft).toMatchObject({ draft: true, published_at: null });
    expect(draft.html_url).toMatch(new RegExp(`/${full}/releases/tag/untagged-[0-9a-f]+$`));

    const listed = async (token?: string) =>
      (await octokit(gh, token).rest.repos.listReleases({ owner, repo })).data.map((r) => r.id);
    expect(await listed('writer')).toEqual([draft.id]);
    expect(await listed('reader')).toEqual([]);
    expect(await listed()).toEqual([]);
    expect(
      (await failure(octokit(gh, 'reader').rest.repos.getRelease({ owner, repo, release_id: draft.id })))
        .status,
    ).toBe(404);
    expect((await failure(writer.rest.repos.getReleaseByTag({ owner, repo, tag: '9.9.9' }))).status).toBe(
      404,
    );
  });

  it('creates a draft tag only when the draft is published', async () => {
    const writer = octokit(gh, 'writer');
    const { data: draft } = await writer.rest.repos.createRelease({
      owner,
      repo,
      tag_name: '9.9.9',
      draft: true,
    });
    expect((await failure(writer.rest.git.getRef({ owner, repo, ref: 'tags/9.9.9' }))).status).toBe(404);
    const { data: published } = await writer.rest.repos.updateRelease({
      owner,
      repo,
      release_id: draft.id,
      draft: false,
    });
    expect(published.draft).toBe(false);
    expect(published.published_at).not.toBeNull();
    expect((await writer.rest.git.getRef({ owner, repo, ref: 'tags/9.9.9' })).status).toBe(200);
    expect((await octokit(gh).rest.repos.getReleaseByTag({ owner, repo, tag: '9.9.9' })).data.id).toBe(
      draft.id,
    );
  });

  it('never makes a prerelease latest, and answers 404 when there is no full release', async () => {
    const writer = octokit(gh, 'writer');
    await writer.rest.repos.createRelease({ owner, repo, tag_name: '1.0.0' });
    gh.state.commit(full, { files: { x: '2' }, tag: '2.0.0-rc.1' });
    const { data: pre } = await writer.rest.repos.createRelease({
      owner,
      repo,
      tag_name: '2.0.0-rc.1',
      prerelease: true,
    });
    expect(pre.prerelease).toBe(true);
    expect((await writer.rest.repos.getLatestRelease({ owner, repo })).data.tag_name).toBe('1.0.0');
    gh.reset();
    gh.state.createRepo(full);
    const none = await failure(octokit(gh).rest.repos.getLatestRelease({ owner, repo }));
    expect(none.status).toBe(404);
  });
});

describe('listing, pagination and conditional requests', () => {
  const seven = () => {
    for (let i = 1; i <= 7; i++) {
      gh.state.commit(full, { files: { v: String(i) }, tag: `0.${i}.0` });
      gh.state.createRelease(full, { tag_name: `0.${i}.0` });
    }
  };

  it('pages releases newest first with per_page and page, and Octokit paginates across 3 pages', async () => {
    seven();
    const client = octokit(gh);
    const pages: number[] = [];
    const all = await client.paginate(
      client.rest.repos.listReleases,
      { owner, repo, per_page: 3 },
      (response) => {
        pages.push(response.data.length);
        return response.data;
      },
    );
    expect(pages).toEqual([3, 3, 1]);
    expect(all.map((r) => r.tag_name)).toEqual([
      '0.7.0',
      '0.6.0',
      '0.5.0',
      '0.4.0',
      '0.3.0',
      '0.2.0',
      '0.1.0',
    ]);
  });

  it('writes Link headers with next/last, then prev/next/last/first, then prev/first', async () => {
    seven();
    const repoId = (await octokit(gh).rest.repos.get({ owner, repo })).data.id;
    const link = async (page: number) =>
      (await octokit(gh).rest.repos.listReleases({ owner, repo, per_page: 3, page })).headers.link;
    const url = (page: number) => `<${gh.apiUrl}/repositories/${repoId}/releases?per_page=3&page=${page}>`;
    expect(await link(1)).toBe(`${url(2)}; rel="next", ${url(3)}; rel="last"`);
    expect(await link(2)).toBe(
      `${url(1)}; rel="prev", ${url(3)}; rel="next", ${url(3)}; rel="last", ${url(1)}; rel="first"`,
    );
    expect(await link(3)).toBe(`${url(2)}; rel="prev", ${url(1)}; rel="first"`);
  });

  it('defaults to 30 a page, caps per_page at 100 and sends no Link when one page holds all', async () => {
    seven();
    const first = await octokit(gh).rest.repos.listReleases({ owner, repo });
    expect(first.data).toHaveLength(7);
    expect(first.headers.link).toBeUndefined();
    for (let i = 8; i <= 105; i++) gh.state.createRelease(full, { tag_name: `0.${i}.0` });
    const big = await octokit(gh).rest.repos.listReleases({ owner, repo, per_page: 500 });
    expect(big.data).toHaveLength(100);
  });

  it('answers 304 without a body to If-None-Match with the ETag, until the list changes; 304s are free', async () => {
    seven();
    const client = octokit(gh, 'reader');
    const first = await client.rest.repos.listReleases({ owner, repo });
    const etag = first.headers.etag ?? '';
    expect(etag).toMatch(/^W\/"[0-9a-f]+"$/);
    const remaining = Number(first.headers['x-ratelimit-remaining']);

    const unchanged = await failure(
      client.rest.repos.listReleases({ owner, repo, headers: { 'if-none-match': etag } }),
    );
    expect(unchanged.status).toBe(304);
    expect(unchanged.data).toBe('');
    expect(Number(unchanged.headers['x-ratelimit-remaining'])).toBe(remaining);

    gh.state.commit(full, { files: { v: '8' }, tag: '0.8.0' });
    gh.state.createRelease(full, { tag_name: '0.8.0' });
    const changed = await client.rest.repos.listReleases({ owner, repo, headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(Number(changed.headers['x-ratelimit-remaining'])).toBe(remaining - 1);
  });
});
