import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { isRegistryError } from '../../registry/errors.js';
import { createGitHub } from '../../registry/github/octokit.js';
import { startGitHubEmulator, type GitHubEmulator } from '../github-emulator/index.js';

/** The registry's GitHub client retries what may pass and waits out rate limits, a bounded number of times. */

const REPO = 'acme/retries';
const TOKEN = 'registry-token';
let gh: GitHubEmulator;
let warnings: string[];

beforeAll(async () => {
  gh = await startGitHubEmulator();
});
afterAll(() => gh.close());
beforeEach(() => {
  gh.reset();
  gh.state.addToken(TOKEN, { login: 'bonsai-registry' });
  gh.state.createRepo(REPO, { description: 'retried' });
  warnings = [];
});

function client() {
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  return createGitHub({ apiUrl: gh.apiUrl, token: TOKEN, timeoutMs: 5_000, logger });
}

const statuses = () => gh.requests.filter((r) => r.path === `/repos/${REPO}`).map((r) => r.status);

async function failure(work: Promise<unknown>) {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRegistryError(err)) throw new Error(`expected a RegistryError, got ${String(err)}`);
  return err;
}

describe('the registry GitHub client', () => {
  it('asks again after a 502, and answers the second reply', async () => {
    gh.faults.inject({ path: `/repos/${REPO}`, times: 1, action: { kind: 'status', status: 502 } });
    expect(await client().getRepository('acme', 'retries')).toMatchObject({ description: 'retried' });
    expect(statuses()).toEqual([502, 200]);
  });

  it('never repeats a request GitHub refused (404): the repository is simply absent', async () => {
    expect(await client().getRepository('acme', 'missing')).toBeUndefined();
    expect(gh.requests.filter((r) => r.path === '/repos/acme/missing')).toHaveLength(1);
  });

  it.each([
    [
      'a secondary rate limit for its Retry-After',
      { kind: 'secondary-rate-limit', retryAfter: 1 } as const,
      'GitHub secondary rate limit reached',
    ],
    [
      'a spent rate limit until it resets',
      { kind: 'primary-rate-limit', resetInSeconds: 0 } as const,
      'GitHub rate limit reached',
    ],
  ])('waits out %s, and says so', async (_what, action, warning) => {
    gh.faults.inject({ path: `/repos/${REPO}`, times: 1, action });
    expect(await client().getRepository('acme', 'retries')).toMatchObject({ description: 'retried' });
    expect(statuses()).toEqual([403, 200]);
    expect(warnings.join('')).toContain(warning);
  });

  it('gives up after two waits on a rate limit that does not lift: GITHUB_FAILED, the job retries later', async () => {
    gh.faults.inject({
      path: `/repos/${REPO}`,
      times: 'forever',
      action: { kind: 'secondary-rate-limit', retryAfter: 1, status: 429 },
    });
    const err = await failure(client().getRepository('acme', 'retries'));
    expect(err.code).toBe('GITHUB_FAILED');
    expect(err.message).toContain('(429)');
    expect(err.hint).toContain('rate limit');
    expect(statuses()).toEqual([429, 429, 429]);
  });
});
