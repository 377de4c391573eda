import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubTimeoutError } from '../../common/idle-timeout-fetch.js';
import { fetchWatched } from '../../registry/github/timeouts.js';
import { getJob } from '../../registry/jobs/queue.js';
import { publish } from './support/fixtures.js';
import { ADMIN_TOKEN, startHarness, type Harness } from './support/harness.js';

/** GitHub that stops answering (GITHUB_TIMEOUT): the request is abandoned and tried again, never waited on forever. */

/** Long enough that a registry without timeouts would still be waiting when the test gives up. */
const STALL_MS = 10 * 60_000;

describe('a registry whose GitHub stalls', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { GITHUB_TIMEOUT: '2' } });
  });
  afterAll(() => h?.close());

  /** A repository with release 1.0.0 whose next request to `path` gets no answer. */
  async function stalled(fullName: string, path: string) {
    h.gh.state.createRepo(fullName);
    await publish(h.gh, fullName, '1.0.0');
    return h.gh.faults.inject({ path, action: { kind: 'delay', ms: STALL_MS } });
  }

  const servedVersions = async (fullName: string) =>
    ((await h.get(`/api/v1/assets/${fullName}`)).json() as { versions: { version: string }[] }).versions.map(
      (v) => v.version,
    );

  it('gives up on an API request that gets no answer and asks again', async () => {
    const fault = await stalled('stall/api', '/repos/:owner/:repo/releases');
    // The first request stalls; Octokit asks again once it was abandoned, within the same job attempt.
    await h.addRepo('stall/api');
    expect(fault.hits).toBe(1);
    expect(await servedVersions('stall/api')).toEqual(['1.0.0']);
  });

  it('gives up on a download that gets no answer, and the job ingests it at its next attempt', async () => {
    const fault = await stalled('stall/download', '/repos/stall/download/releases/assets/:id');
    const res = await h.post(
      '/api/v1/repos',
      { repository: 'stall/download' },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    );
    const jobId = (res.json() as { job_id: number }).job_id;
    await h.waitForJob(jobId);
    expect(fault.hits).toBe(1);
    expect(await getJob(h.registry.runtime.db, jobId)).toMatchObject({ state: 'done', attempts: 2 });
    expect(h.logs.join('')).toContain('GitHub sent nothing for 2 s (GITHUB_TIMEOUT)');
    expect(await servedVersions('stall/download')).toEqual(['1.0.0']);
  });
});

describe('fetchWatched', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    // Never answers /silent; answers /trickle with its headers and one chunk, then nothing more.
    server = http.createServer((req, res) => {
      if (req.url === '/trickle') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write('first chunk');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives up when the response headers do not come', async () => {
    await expect(fetchWatched(`${base}/silent`, {}, 200)).rejects.toBeInstanceOf(GitHubTimeoutError);
  });

  it('gives up when the body stops in the middle', async () => {
    const { response, body } = await fetchWatched(`${base}/trickle`, {}, 200);
    expect(response.status).toBe(200);
    const reader = body!.getReader();
    expect(Buffer.from((await reader.read()).value!).toString()).toBe('first chunk');
    await expect(reader.read()).rejects.toThrow('GitHub sent nothing for 0.2 s (GITHUB_TIMEOUT)');
  });
});
