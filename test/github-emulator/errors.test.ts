import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from './emulator.js';

let gh: GitHubEmulator;
let ids: { release: number; asset: number; other: number; hook: number };

beforeAll(async () => {
  gh = await startGitHubEmulator();
});
afterAll(() => gh.close());
beforeEach(() => {
  gh.reset();
  gh.state.createRepo('sensu/check-disk');
  gh.state.createRepo('sensu/empty');
  gh.state.addToken('writer', { login: 'alice', write: true });
  gh.state.commit('sensu/check-disk', { files: { 'bonsai.yml': 'x' }, tag: '1.0.0' });
  const release = gh.state.createRelease('sensu/check-disk', { tag_name: '1.0.0' });
  const asset = gh.state.addAsset(release.id, { name: 'a.tar.gz', data: 'a' });
  const other = gh.state.addAsset(release.id, { name: 'b.tar.gz', data: 'b' });
  const hook = gh.state.addHook('sensu/check-disk', { url: 'http://127.0.0.1:9/nobody' });
  ids = { release: release.id, asset: asset.id, other: other.id, hook: hook.id };
});

const R = '/repos/sensu/check-disk';

describe('error answers', () => {
  it.each([
    ['an unknown route', 'GET', '/nope', undefined, 404, 'Not Found'],
    ['an unknown /repositories id', 'GET', '/repositories/1/releases', undefined, 404, 'Not Found'],
    [
      'contents of an empty repository',
      'GET',
      '/repos/sensu/empty/contents/',
      undefined,
      404,
      'This repository is empty.',
    ],
    [
      'commits of an empty repository',
      'GET',
      '/repos/sensu/empty/commits/main',
      undefined,
      409,
      'Git Repository is empty.',
    ],
    ['an unknown annotated tag', 'GET', `${R}/git/tags/${'0'.repeat(40)}`, undefined, 404, 'Not Found'],
    ['an unknown release id', 'GET', `${R}/releases/999`, undefined, 404, 'Not Found'],
    ['a release id that is not a number', 'GET', `${R}/releases/abc`, undefined, 404, 'Not Found'],
    ['deleting an unknown release', 'DELETE', `${R}/releases/999`, undefined, 404, 'Not Found'],
    [
      'a release update that is not JSON',
      'PATCH',
      `${R}/releases/RELEASE`,
      '{',
      400,
      'Problems parsing JSON',
    ],
    ['a release body that is not an object', 'POST', `${R}/releases`, '[1]', 422, 'Invalid request.'],
    [
      'renaming an asset onto another',
      'PATCH',
      `${R}/releases/assets/OTHER`,
      '{"name":"a.tar.gz"}',
      422,
      'Validation Failed',
    ],
    ['an unknown hook', 'GET', `${R}/hooks/1`, undefined, 404, 'Not Found'],
    [
      'a hook without a URL',
      'POST',
      `${R}/hooks`,
      '{"config":{}}',
      422,
      `Invalid request.\n\n"config/url" wasn't supplied.`,
    ],
    [
      'redelivering an unknown delivery',
      'POST',
      `${R}/hooks/HOOK/deliveries/999/attempts`,
      undefined,
      404,
      'Not Found',
    ],
  ])('answers %s', async (_what, method, path, body, status, message) => {
    const url = path
      .replace('RELEASE', String(ids.release))
      .replace('OTHER', String(ids.other))
      .replace('HOOK', String(ids.hook));
    const response = await fetch(`${gh.apiUrl}${url}`, {
      method,
      headers: { authorization: 'token writer', 'content-type': 'application/json' },
      ...(body !== undefined ? { body } : {}),
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const json = (await response.json()) as { message: string; status: string };
    expect(json.message.startsWith(message)).toBe(true);
    expect(json.status).toBe(String(status));
  });

  it('answers 404 on the web and CDN origins for files that are not there', async () => {
    expect((await fetch(`${gh.webUrl}/sensu/check-disk/raw/1.0.0/nope.yml`)).status).toBe(404);
    expect((await fetch(`${gh.webUrl}/sensu/check-disk/raw/9.9.9/bonsai.yml`)).status).toBe(404);
    const redirect = await fetch(`${gh.webUrl}/sensu/check-disk/releases/download/1.0.0/a.tar.gz`, {
      redirect: 'manual',
    });
    const cdnLink = redirect.headers.get('location') ?? '';
    await fetch(`${gh.apiUrl}${R}/releases/assets/${ids.asset}`, {
      method: 'DELETE',
      headers: { authorization: 'token writer' },
    });
    expect((await fetch(cdnLink)).status).toBe(404);
  });

  it('refuses to arrange state that cannot exist, naming what is missing', () => {
    expect(() => gh.state.commit('sensu/nope', { files: {} })).toThrow(/no repository sensu\/nope/);
    expect(() => gh.state.tag('sensu/check-disk', '2.0.0', 'f'.repeat(40))).toThrow(/has no commit/);
    expect(() => gh.state.addAsset(1, { name: 'x', data: 'x' })).toThrow(/no release 1/);
    expect(() => gh.state.assetBytes(1)).toThrow(/no asset 1/);
    expect(() => gh.state.createRepo('sensu/check-disk')).toThrow(/422/);
  });
});
