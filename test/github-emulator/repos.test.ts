import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from './emulator.js';
import { failure, octokit } from './test-clients.js';

let gh: GitHubEmulator;
const owner = 'sensu';
const repo = 'check-disk';

beforeAll(async () => {
  gh = await startGitHubEmulator();
});
afterAll(() => gh.close());
beforeEach(() => {
  gh.reset();
  gh.state.createRepo(`${owner}/${repo}`, { description: 'disk checks' });
  gh.state.createRepo('acme/secret', { private: true });
  gh.state.addToken('writer', { login: 'alice', write: true });
});

describe('repository get', () => {
  it('answers the repository with permissions for a token, without for anonymous callers', async () => {
    const authed = await octokit(gh, 'writer').rest.repos.get({ owner, repo });
    expect(authed.data).toMatchObject({
      full_name: 'sensu/check-disk',
      name: 'check-disk',
      owner: { login: 'sensu', type: 'User' },
      private: false,
      visibility: 'public',
      default_branch: 'main',
      description: 'disk checks',
      html_url: `${gh.webUrl}/sensu/check-disk`,
      releases_url: `${gh.apiUrl}/repos/sensu/check-disk/releases{/id}`,
      permissions: { push: true, pull: true, admin: false },
    });
    const anonymous = await octokit(gh).rest.repos.get({ owner, repo });
    expect(anonymous.data.permissions).toBeUndefined();
  });

  it('finds the repository whatever the case of owner and name, as GitHub does', async () => {
    const { data } = await octokit(gh).rest.repos.get({ owner: 'SENSU', repo: 'Check-Disk' });
    expect(data.full_name).toBe('sensu/check-disk');
  });

  it('answers 404 with GitHub body for an unknown repository', async () => {
    const answer = await failure(octokit(gh).rest.repos.get({ owner, repo: 'nope' }));
    expect(answer.status).toBe(404);
    expect(answer.data).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository',
      status: '404',
    });
  });
});

describe('git refs and commits', () => {
  it('resolves a lightweight tag to its commit, and follows the tag when it moves', async () => {
    const first = gh.state.commit(`${owner}/${repo}`, { files: { 'bonsai.yml': 'a' }, tag: '1.0.0' });
    const client = octokit(gh);
    const before = await client.rest.git.getRef({ owner, repo, ref: 'tags/1.0.0' });
    expect(before.data).toMatchObject({ ref: 'refs/tags/1.0.0', object: { sha: first, type: 'commit' } });
    expect(first).toMatch(/^[0-9a-f]{40}$/);

    const second = gh.state.commit(`${owner}/${repo}`, { files: { 'bonsai.yml': 'b' }, tag: '1.0.0' });
    const after = await client.rest.git.getRef({ owner, repo, ref: 'tags/1.0.0' });
    expect(second).not.toBe(first);
    expect(after.data.object.sha).toBe(second);
  });

  it('points an annotated tag at a tag object that names the commit', async () => {
    const sha = gh.state.commit(`${owner}/${repo}`, { files: { x: '1' }, tag: 'v2.0.0', annotated: true });
    const client = octokit(gh);
    const { data: ref } = await client.rest.git.getRef({ owner, repo, ref: 'tags/v2.0.0' });
    expect(ref.object.type).toBe('tag');
    expect(ref.object.sha).not.toBe(sha);
    const { data: tag } = await client.rest.git.getTag({ owner, repo, tag_sha: ref.object.sha });
    expect(tag).toMatchObject({ tag: 'v2.0.0', object: { type: 'commit', sha } });
  });

  it('answers the plural refs form with one object on an exact match and an array on a prefix', async () => {
    gh.state.commit(`${owner}/${repo}`, { files: { x: '1' }, tag: '1.0.0' });
    gh.state.commit(`${owner}/${repo}`, { files: { x: '2' }, tag: '1.0.1' });
    const get = (ref: string) => fetch(`${gh.apiUrl}/repos/${owner}/${repo}/git/refs/${ref}`);
    const exact = (await (await get('tags/1.0.0')).json()) as { ref: string };
    expect(exact.ref).toBe('refs/tags/1.0.0');
    const prefix = (await (await get('tags/1.0')).json()) as { ref: string }[];
    expect(prefix.map((r) => r.ref)).toEqual(['refs/tags/1.0.0', 'refs/tags/1.0.1']);
    expect((await get('tags/9')).status).toBe(404);
    const { data: matching } = await octokit(gh).rest.git.listMatchingRefs({ owner, repo, ref: 'tags/2' });
    expect(matching).toEqual([]);
  });

  it('lists matching refs a page at a time, annotated tags pointing at their tag object', async () => {
    const sha = gh.state.commit(`${owner}/${repo}`, { files: { x: '1' }, tag: '1.0.0', annotated: true });
    for (let i = 1; i <= 4; i++)
      gh.state.commit(`${owner}/${repo}`, { files: { x: `${i}` }, tag: `2.0.${i}` });
    const client = octokit(gh);
    const first = await client.rest.git.listMatchingRefs({ owner, repo, ref: 'tags/', per_page: 2 });
    expect(first.data.map((r) => r.ref)).toEqual(['refs/tags/1.0.0', 'refs/tags/2.0.1']);
    expect(first.headers.link).toMatch(/rel="next"/);
    const all = await client.paginate(client.rest.git.listMatchingRefs, {
      owner,
      repo,
      ref: 'tags/',
      per_page: 2,
    });
    expect(all.map((r) => r.ref)).toEqual(
      ['1.0.0', '2.0.1', '2.0.2', '2.0.3', '2.0.4'].map((t) => `refs/tags/${t}`),
    );
    const annotated = all[0]!.object;
    expect(annotated.type).toBe('tag');
    const { data: tag } = await client.rest.git.getTag({ owner, repo, tag_sha: annotated.sha });
    expect(tag.object.sha).toBe(sha);
  });

  it('answers 404 for a missing tag and 409 for a repository without commits', async () => {
    const empty = await failure(octokit(gh).rest.git.getRef({ owner, repo, ref: 'tags/1.0.0' }));
    expect(empty.status).toBe(409);
    expect(empty.data).toMatchObject({ message: 'Git Repository is empty.' });
    gh.state.commit(`${owner}/${repo}`, { files: { x: '1' } });
    const missing = await failure(octokit(gh).rest.git.getRef({ owner, repo, ref: 'tags/1.0.0' }));
    expect(missing.status).toBe(404);
    expect(missing.data).toMatchObject({
      documentation_url: 'https://docs.github.com/rest/git/refs#get-a-reference',
    });
  });

  it('gets a commit by tag, branch or sha, and answers 422 for an unknown ref', async () => {
    const first = gh.state.commit(`${owner}/${repo}`, { files: { x: '1' }, tag: '1.0.0', message: 'first' });
    const second = gh.state.commit(`${owner}/${repo}`, { files: { x: '2' } });
    const client = octokit(gh);
    const byTag = await client.rest.repos.getCommit({ owner, repo, ref: '1.0.0' });
    expect(byTag.data).toMatchObject({ sha: first, commit: { message: 'first' }, parents: [] });
    const byBranch = await client.rest.repos.getCommit({ owner, repo, ref: 'main' });
    expect(byBranch.data).toMatchObject({ sha: second, parents: [{ sha: first }] });
    const bySha = await client.rest.repos.getCommit({ owner, repo, ref: first });
    expect(bySha.data.sha).toBe(first);
    const unknown = await failure(client.rest.repos.getCommit({ owner, repo, ref: 'nope' }));
    expect(unknown.status).toBe(422);
    expect(unknown.data).toMatchObject({ message: 'No commit found for SHA: nope' });
  });

  it('lists tags with the commit each names', async () => {
    const one = gh.state.commit(`${owner}/${repo}`, { files: { x: '1' }, tag: '0.1.0' });
    const two = gh.state.commit(`${owner}/${repo}`, { files: { x: '2' }, tag: '0.2.0', annotated: true });
    const { data } = await octokit(gh).rest.repos.listTags({ owner, repo });
    expect(data.map((t) => [t.name, t.commit.sha])).toEqual([
      ['0.2.0', two],
      ['0.1.0', one],
    ]);
  });
});

describe('contents at a ref', () => {
  const yml = 'description: disk\nbuilds: []\n';

  beforeEach(() => {
    gh.state.commit(`${owner}/${repo}`, {
      files: { 'bonsai.yml': 'old\n', 'bin/check': '#!/bin/sh\n' },
      tag: '0.9.0',
    });
    gh.state.commit(`${owner}/${repo}`, {
      files: { 'bonsai.yml': yml, 'README.md': '# disk\n' },
      tag: '1.0.0',
    });
  });

  it('answers a file as base64 with git blob sha, as GitHub does', async () => {
    const { data } = await octokit(gh).rest.repos.getContent({
      owner,
      repo,
      path: 'bonsai.yml',
      ref: '1.0.0',
    });
    if (Array.isArray(data) || data.type !== 'file') throw new Error('expected a file');
    expect(data.encoding).toBe('base64');
    expect(Buffer.from(data.content, 'base64').toString('utf8')).toBe(yml);
    expect(data.content.endsWith('\n')).toBe(true);
    const gitSha = execFileSync('git', ['hash-object', '--stdin'], { input: yml }).toString().trim();
    expect(data.sha).toBe(gitSha);
    expect(data.size).toBe(Buffer.byteLength(yml));
  });

  it('answers the content of the ref asked for, not the newest', async () => {
    const { data } = await octokit(gh).rest.repos.getContent({
      owner,
      repo,
      path: 'bonsai.yml',
      ref: '0.9.0',
    });
    if (Array.isArray(data) || data.type !== 'file') throw new Error('expected a file');
    expect(Buffer.from(data.content, 'base64').toString('utf8')).toBe('old\n');
  });

  it('lists the root directory so a client can find bonsai.yml', async () => {
    const { data } = await octokit(gh).rest.repos.getContent({ owner, repo, path: '', ref: '1.0.0' });
    if (!Array.isArray(data)) throw new Error('expected a directory listing');
    expect(data.map((entry) => [entry.name, entry.type])).toEqual([
      ['README.md', 'file'],
      ['bin', 'dir'],
      ['bonsai.yml', 'file'],
    ]);
    expect(data.find((entry) => entry.name === 'bonsai.yml')?.download_url).toBe(
      `${gh.webUrl}/sensu/check-disk/raw/1.0.0/bonsai.yml`,
    );
  });

  it('answers raw bytes for the raw media type, and serves download_url on the web origin', async () => {
    const { data } = await octokit(gh).rest.repos.getContent({
      owner,
      repo,
      path: 'bonsai.yml',
      ref: '1.0.0',
      mediaType: { format: 'raw' },
    });
    expect(data).toBe(yml);
    const raw = await fetch(`${gh.webUrl}/sensu/check-disk/raw/1.0.0/bonsai.yml`);
    expect(await raw.text()).toBe(yml);
  });

  it.each([
    ['a missing file', 'nope.yml', '1.0.0', 'Not Found'],
    ['a missing ref', 'bonsai.yml', '7.7.7', 'No commit found for the ref 7.7.7'],
  ])('answers 404 for %s', async (_what, path, ref, message) => {
    const answer = await failure(octokit(gh).rest.repos.getContent({ owner, repo, path, ref }));
    expect(answer.status).toBe(404);
    expect(answer.data).toEqual({
      message,
      documentation_url: 'https://docs.github.com/rest/repos/contents#get-repository-content',
      status: '404',
    });
  });
});
