import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createGitHubClient, gitHubFailure } from '../../packager/github/client.js';
import { createGitHub } from '../../registry/github/octokit.js';
import { RegistryError } from '../../registry/errors.js';
import { bonsai } from '../cli/run-cli.js';
import { freePort } from '../registry/support/ports.js';

/**
 * A connection that fails before any HTTP answer is named the same way by every verb (connection
 * refused, host not found, timed out), never as a status nobody received (Octokit calls it 500).
 */

/** `.invalid` never resolves (RFC 2606), with or without a DNS server. */
const NO_SUCH_HOST = 'http://bonsai-hub-test.invalid';

describe('bonsai publish (its GitHub client)', () => {
  const failureAt = async (apiUrl: string) => {
    const client = createGitHubClient({ apiUrl, token: 't', pacing: false, timeoutMs: 5_000 });
    return client.rest.repos
      .get({ owner: 'acme', repo: 'x', request: { retries: 0 } })
      .then(() => undefined)
      .catch((e: unknown) => gitHubFailure(e, 'reading repository acme/x', 'acme/x'));
  };

  it('says the connection was refused, and no status', async () => {
    const port = await freePort(); // free, so nothing listens
    const err = await failureAt(`http://127.0.0.1:${port}`);
    expect(err).toMatchObject({
      code: 'GITHUB_UNAVAILABLE',
      exitCode: 3,
      message: `reading repository acme/x failed: cannot reach GitHub at http://127.0.0.1:${port} (connection refused)`,
    });
    expect(err?.message).not.toMatch(/500|answer/);
    expect(err?.hint).toContain('--github-api-url');
  });

  it('says the host was not found', async () => {
    const err = await failureAt(NO_SUCH_HOST);
    expect(err?.message).toBe(
      `reading repository acme/x failed: cannot reach GitHub at ${NO_SUCH_HOST} (host not found)`,
    );
  });
});

describe('bonsai add', () => {
  it('says the host was not found (exit 3)', async () => {
    const run = await bonsai(['add', 'acme/check-cpu', '--registry', NO_SUCH_HOST], { cwd: '/' });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `error [REGISTRY_UNREACHABLE]: cannot reach the registry at ${NO_SUCH_HOST}/api/v1/assets/acme/check-cpu (host not found)`,
    );
  });
});

describe('the registry (its GitHub port, as sync and the jobs use it)', () => {
  const github = (apiUrl: string) =>
    createGitHub({ apiUrl, token: undefined, timeoutMs: 5_000, logger: pino({ level: 'silent' }) });
  const file = { id: 1, name: 'x.tar.gz', size: 1, updatedAt: '', browserDownloadUrl: '' };

  it('says the connection was refused, and no status', async () => {
    const port = await freePort();
    const err = await github(`http://127.0.0.1:${port}`)
      .downloadReleaseFile('acme', 'x', file)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).message).toBe(
      'GitHub download of x.tar.gz from acme/x failed (connection refused)',
    );
  });

  it('says the host was not found', async () => {
    const err = await github(NO_SUCH_HOST)
      .downloadReleaseFile('acme', 'x', file)
      .catch((e: unknown) => e);
    expect((err as RegistryError).message).toBe(
      'GitHub download of x.tar.gz from acme/x failed (host not found)',
    );
  });
});
