import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from './emulator.js';
import { failure, octokit, resilientOctokit } from './test-clients.js';

let gh: GitHubEmulator;

beforeAll(async () => {
  gh = await startGitHubEmulator();
});
afterAll(() => gh.close());
beforeEach(() => {
  gh.reset();
  gh.state.createRepo('sensu/public-check');
  gh.state.createRepo('acme/secret', { private: true });
  gh.state.createRepo('acme/other-secret', { private: true });
  for (const full of ['sensu/public-check', 'acme/secret', 'acme/other-secret']) {
    gh.state.commit(full, { files: { 'bonsai.yml': 'x' }, tag: '1.0.0' });
  }
  gh.state.addToken('writer', { login: 'alice', write: true });
  gh.state.addToken('reader', { login: 'bob' });
  gh.state.addToken('scoped', { login: 'carol', write: true, repos: ['acme/secret'] });
});

describe('token auth', () => {
  it.each([
    ['token', 'token writer'],
    ['Bearer', 'Bearer writer'],
    ['Basic with the token as password', `Basic ${Buffer.from('alice:writer').toString('base64')}`],
  ])('accepts the %s scheme', async (_scheme, authorization) => {
    const response = await fetch(`${gh.apiUrl}/repos/acme/secret`, { headers: { authorization } });
    expect(response.status).toBe(200);
  });

  it('answers 401 Bad credentials to an unknown token, even for public data', async () => {
    const answer = await failure(
      octokit(gh, 'forged').rest.repos.get({ owner: 'sensu', repo: 'public-check' }),
    );
    expect(answer.status).toBe(401);
    expect(answer.data).toEqual({
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    });
    expect(answer.headers['x-ratelimit-limit']).toBe('60');
  });

  it.each([
    ['anonymous callers', undefined],
    ['a token not granted the repository', 'scoped'],
  ])('answers 404 (not 403) about a private repository to %s', async (_who, token) => {
    const repo = token === 'scoped' ? 'other-secret' : 'secret';
    const answer = await failure(octokit(gh, token).rest.repos.get({ owner: 'acme', repo }));
    expect(answer.status).toBe(404);
    expect(answer.data).toMatchObject({ message: 'Not Found' });
  });

  it('lets a read-only token read a private repository, and refuses its writes with 403', async () => {
    const client = octokit(gh, 'reader');
    expect((await client.rest.repos.get({ owner: 'acme', repo: 'secret' })).data.permissions).toMatchObject({
      pull: true,
      push: false,
    });
    const answer = await failure(
      client.rest.repos.createRelease({ owner: 'acme', repo: 'secret', tag_name: '1.0.0' }),
    );
    expect(answer.status).toBe(403);
    expect(answer.data).toMatchObject({ message: 'Resource not accessible by personal access token' });
    expect(answer.headers['x-accepted-github-permissions']).toBe('contents=write');
  });

  it('answers 401 Requires authentication to an anonymous write on a public repository', async () => {
    const answer = await failure(
      octokit(gh).rest.repos.createRelease({ owner: 'sensu', repo: 'public-check', tag_name: '1.0.0' }),
    );
    expect(answer.status).toBe(401);
    expect(answer.data).toMatchObject({ message: 'Requires authentication' });
  });

  it('lets a token scoped to one repository write there and only read public others', async () => {
    const client = octokit(gh, 'scoped');
    expect(
      (await client.rest.repos.createRelease({ owner: 'acme', repo: 'secret', tag_name: '1.0.0' })).status,
    ).toBe(201);
    const elsewhere = await failure(
      client.rest.repos.createRelease({ owner: 'sensu', repo: 'public-check', tag_name: '1.0.0' }),
    );
    expect(elsewhere.status).toBe(403);
  });
});

describe('primary rate limit', () => {
  it('counts down x-ratelimit-remaining per caller and reports used, reset and resource', async () => {
    const client = octokit(gh, 'writer');
    const first = await client.rest.repos.get({ owner: 'sensu', repo: 'public-check' });
    const second = await client.rest.repos.get({ owner: 'sensu', repo: 'public-check' });
    expect(first.headers['x-ratelimit-limit']).toBe('5000');
    expect(first.headers['x-ratelimit-resource']).toBe('core');
    expect(Number(second.headers['x-ratelimit-remaining'])).toBe(
      Number(first.headers['x-ratelimit-remaining']) - 1,
    );
    expect(Number(second.headers['x-ratelimit-used'])).toBe(2);
    expect(Number(first.headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    const anonymous = await octokit(gh).rest.repos.get({ owner: 'sensu', repo: 'public-check' });
    expect(anonymous.headers['x-ratelimit-limit']).toBe('60');
    expect(anonymous.headers['x-ratelimit-remaining']).toBe('59');
  });

  it('answers GET /rate_limit without spending any', async () => {
    const client = octokit(gh, 'writer');
    await client.rest.repos.get({ owner: 'sensu', repo: 'public-check' });
    const once = await client.rest.rateLimit.get();
    const twice = await client.rest.rateLimit.get();
    expect(once.data.resources.core).toMatchObject({ limit: 5000, used: 1, remaining: 4999 });
    expect(twice.data.rate.used).toBe(1);
  });

  it('refuses with 403 and remaining 0 once spent; the throttling plugin is told when to retry', async () => {
    gh.rateLimit.configure({ authenticated: 2 });
    const plain = octokit(gh, 'writer');
    await plain.rest.repos.get({ owner: 'sensu', repo: 'public-check' });
    await plain.rest.repos.get({ owner: 'sensu', repo: 'public-check' });
    const refused = await failure(plain.rest.repos.get({ owner: 'sensu', repo: 'public-check' }));
    expect(refused.status).toBe(403);
    expect(refused.data).toMatchObject({
      message: expect.stringMatching(/^API rate limit exceeded for user ID \d+\.$/),
    });
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');

    const { client, limits } = resilientOctokit(gh, 'writer');
    await failure(client.rest.repos.get({ owner: 'sensu', repo: 'public-check' }));
    expect(limits[0]?.kind).toBe('primary');
    expect(limits[0]?.retryAfter).toBeGreaterThan(3000);
  });
});
