import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubClient, gitHubFailure } from '../../packager/github/client.js';
import { startGitHubEmulator, type GitHubEmulator } from '../github-emulator/index.js';

/** `bonsai publish`'s GitHub client against a GitHub that stops answering. */

const REPO = 'acme/timeouts';
const TOKEN = 'write-token';
/** Long enough that a client without a timeout would still be waiting when the test gives up. */
const STALL_MS = 10 * 60_000;

let gh: GitHubEmulator;
beforeAll(async () => {
  gh = await startGitHubEmulator();
  gh.state.createRepo(REPO);
  gh.state.addToken(TOKEN, { login: 'acme', write: true });
  gh.state.commit(REPO, { files: { 'README.md': 'x' }, tag: '1.0.0' });
});
afterAll(() => gh?.close());

const client = () => createGitHubClient({ apiUrl: gh.apiUrl, token: TOKEN, pacing: false, timeoutMs: 1_000 });

describe('the publish client', () => {
  it('abandons a request GitHub does not answer and asks again', async () => {
    const fault = gh.faults.inject({ path: '/repos/:owner/:repo', action: { kind: 'delay', ms: STALL_MS } });
    const { data } = await client().rest.repos.get({ owner: 'acme', repo: 'timeouts' });
    expect(data.full_name).toBe(REPO);
    expect(fault.hits).toBe(1);
  });

  it('says that GitHub did not answer when it gives up', async () => {
    gh.faults.inject({ path: '/repos/:owner/:repo', action: { kind: 'delay', ms: STALL_MS } });
    const err = await client()
      .rest.repos.get({ owner: 'acme', repo: 'timeouts', request: { retries: 0 } })
      .catch((e: unknown) => gitHubFailure(e, 'read of the repository', REPO));
    expect(err).toMatchObject({
      code: 'GITHUB_UNAVAILABLE',
      exitCode: 3,
      message: 'read of the repository failed after retries: GitHub sent nothing for 1 s',
    });
  });

  it('uploads a file in pieces, byte for byte', async () => {
    const release = gh.state.createRelease(REPO, { tag_name: '1.0.0' });
    const bytes = randomBytes(300 * 1024);
    const { data } = await client().rest.repos.uploadReleaseAsset({
      owner: 'acme',
      repo: 'timeouts',
      release_id: release.id,
      name: 'big.tar.gz',
      url: release.upload_url,
      data: bytes as unknown as string,
      headers: { 'content-type': 'application/gzip', 'content-length': bytes.length },
    });
    expect(data.size).toBe(bytes.length);
    expect(gh.state.assetBytes(data.id).equals(bytes)).toBe(true);
  });
});
