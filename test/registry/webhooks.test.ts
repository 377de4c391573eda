import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJob } from '../../registry/jobs/queue.js';
import { publish } from './support/fixtures.js';
import {
  ADMIN_TOKEN,
  REGISTRY_TOKEN,
  WEBHOOK_SECRET,
  startHarness,
  type Harness,
} from './support/harness.js';
import { waitFor } from './support/wait.js';
import { releaseEvent } from './support/webhook-events.js';

/** Ingest triggers: signed webhooks (shared and per-asset URLs), the CI trigger, repository registration. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

async function jobCount(): Promise<number> {
  const { rows } = await h.registry.runtime.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
  return rows[0]!.n;
}

async function served(fullName: string): Promise<string[]> {
  const res = await h.get(`/api/v1/assets/${fullName}`);
  return (res.json() as { versions: { version: string }[] }).versions.map((v) => v.version);
}

async function deliver(path: string, body: string, headers: Record<string, string>) {
  return h.post(path, body, { 'x-github-event': 'release', ...headers });
}

const unauthorized = (message: string) =>
  expect.objectContaining({ error_code: 'UNAUTHORIZED', error_messages: expect.arrayContaining([message]) });

describe('GitHub webhooks, as the emulator delivers them', () => {
  it.each([
    ['the shared URL', '/webhooks/github', 'hooks/shared'],
    ["Bonsai's per-asset URL", '/assets/hooks/per-asset/webhook', 'hooks/per-asset'],
  ])('answer the ping and ingest a published release through %s', async (_label, path, fullName) => {
    h.gh.state.createRepo(fullName);
    await h.addRepo(fullName);
    h.gh.state.addHook(fullName, { url: h.url + path, secret: WEBHOOK_SECRET });
    await h.gh.webhooks.settled();
    const [ping] = h.gh.webhooks.deliveries({ repo: fullName, event: 'ping' });
    expect(ping).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(ping!.responseBody!)).toEqual({ message: 'pong' });

    await publish(h.gh, fullName, '1.0.0');
    await h.gh.webhooks.settled();
    const releases = h.gh.webhooks.deliveries({ repo: fullName, event: 'release' });
    expect(releases.length).toBeGreaterThan(0);
    for (const d of releases) expect(d.statusCode).toBe(202);
    await waitFor('the release to be ingested', async () => (await served(fullName)).includes('1.0.0'));
  });

  it('answers a redelivery (a replay of the same X-GitHub-Delivery) without a second job', async () => {
    const fullName = 'hooks/replayed';
    h.gh.state.createRepo(fullName);
    await h.addRepo(fullName);
    h.gh.state.addHook(fullName, { url: `${h.url}/webhooks/github`, secret: WEBHOOK_SECRET });
    await publish(h.gh, fullName, '1.0.0');
    await h.gh.webhooks.settled();
    const [first] = h.gh.webhooks.deliveries({ repo: fullName, event: 'release' });
    const jobs = await jobCount();
    const again = await h.gh.webhooks.redeliver(first!.id);
    expect(again.guid).toBe(first!.guid);
    expect(again.statusCode).toBe(200);
    expect(JSON.parse(again.responseBody!)).toEqual({
      message: `duplicate delivery ${first!.guid}: already accepted`,
    });
    expect(await jobCount()).toBe(jobs);
  });
});

describe('signatures are checked on the raw body before anything else', () => {
  const fullName = 'hooks/signed';
  beforeAll(async () => {
    h.gh.state.createRepo(fullName);
    await h.addRepo(fullName);
  });

  it('accepts a valid signature with 202 once the job row is committed', async () => {
    const body = releaseEvent(fullName, '1.0.0');
    const res = await deliver('/webhooks/github', body, {
      'x-hub-signature-256': await sign(WEBHOOK_SECRET, body),
      'x-github-delivery': 'delivery-valid-1',
    });
    expect(res.status).toBe(202);
    const { job_id } = res.json() as { job_id: number };
    // The 202 comes after the commit: the row is there the moment the answer is.
    expect(await getJob(h.registry.runtime.db, job_id)).toMatchObject({
      kind: 'sync',
      payload: { trigger: 'webhook' },
    });
  });

  it.each([
    ['a missing signature', {}, 'missing X-Hub-Signature-256 header: the webhook must be signed'],
    [
      'a signature with another secret',
      { sign: 'not-the-secret' },
      'X-Hub-Signature-256 does not match the body',
    ],
    ['a malformed signature', { raw: 'sha256=zz' }, 'X-Hub-Signature-256 is not "sha256=" and 64 hex digits'],
    ['a sha1 signature', { raw: 'sha1=0000' }, 'X-Hub-Signature-256 is not "sha256=" and 64 hex digits'],
  ])('refuses %s with 401 and no job', async (_label, how: { sign?: string; raw?: string }, message) => {
    const body = releaseEvent(fullName, '1.0.0');
    const headers: Record<string, string> = { 'x-github-delivery': `delivery-${Math.random()}` };
    if (how.sign) headers['x-hub-signature-256'] = await sign(how.sign, body);
    if (how.raw) headers['x-hub-signature-256'] = how.raw;
    const jobs = await jobCount();
    for (const path of ['/webhooks/github', `/assets/${fullName}/webhook`, '/assets/hooks/unknown/webhook']) {
      const res = await deliver(path, body, headers);
      expect(res.status).toBe(401);
      expect(res.json()).toEqual(unauthorized(message));
    }
    expect(await jobCount()).toBe(jobs);
  });

  it('refuses a body changed after signing, even if it is the same JSON', async () => {
    const body = releaseEvent(fullName, '1.0.0');
    const signature = await sign(WEBHOOK_SECRET, body);
    const reformatted = JSON.stringify(JSON.parse(body), null, 2);
    const res = await deliver('/webhooks/github', reformatted, {
      'x-hub-signature-256': signature,
      'x-github-delivery': 'delivery-reformatted',
    });
    expect(res.status).toBe(401);
  });

  it('does not parse an unsigned body (garbage is a 401, not a 400)', async () => {
    const res = await deliver('/webhooks/github', '{not json', { 'x-github-delivery': 'delivery-garbage' });
    expect(res.status).toBe(401);
  });

  it('dedupes a replayed delivery id', async () => {
    const body = releaseEvent(fullName, '1.0.0');
    const headers = {
      'x-hub-signature-256': await sign(WEBHOOK_SECRET, body),
      'x-github-delivery': 'delivery-replayed',
    };
    expect((await deliver('/webhooks/github', body, headers)).status).toBe(202);
    const jobs = await jobCount();
    const replay = await deliver('/webhooks/github', body, headers);
    expect(replay.status).toBe(200);
    expect(await jobCount()).toBe(jobs);
  });

  it.each([
    ['a draft release', releaseEvent(fullName, '2.0.0', true), 'release', 'ignored: draft release'],
    [
      'an unregistered repository',
      releaseEvent('hooks/unknown', '1.0.0'),
      'release',
      'ignored: hooks/unknown is not registered here',
    ],
    [
      'another event',
      '{"ref":"refs/heads/main"}',
      'push',
      'ignored: event push (only release events ingest)',
    ],
  ])('answers %s with 200 and no job', async (_label, body, event, message) => {
    const jobs = await jobCount();
    const res = await h.post('/webhooks/github', body, {
      'x-github-event': event,
      'x-hub-signature-256': await sign(WEBHOOK_SECRET, body),
      'x-github-delivery': `delivery-${Math.random()}`,
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ message });
    expect(await jobCount()).toBe(jobs);
  });

  it("answers Bonsai's 404 on the per-asset URL of an unknown asset, once signed", async () => {
    const body = releaseEvent('hooks/unknown', '1.0.0');
    const res = await deliver('/assets/hooks/unknown/webhook', body, {
      'x-hub-signature-256': await sign(WEBHOOK_SECRET, body),
      'x-github-delivery': 'delivery-unknown',
    });
    expect(res.status).toBe(404);
    expect(res.text).toBe('{"error_messages":["Resource does not exist."],"error_code":"NOT_FOUND"}');
  });

  it('needs X-GitHub-Delivery on a release event', async () => {
    const body = releaseEvent(fullName, '1.0.0');
    const res = await deliver('/webhooks/github', body, {
      'x-hub-signature-256': await sign(WEBHOOK_SECRET, body),
    });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({
      error_code: 'MISSING_REQUIRED_DATA',
      error_messages: ['missing X-GitHub-Delivery header'],
    });
  });
});

describe('the CI trigger POST /assets/:ns/:name/build', () => {
  it('needs the admin token', async () => {
    h.gh.state.createRepo('ci/check');
    await h.addRepo('ci/check');
    expect((await h.post('/assets/ci/check/build', '')).json()).toEqual(
      unauthorized('missing "Authorization: Bearer TOKEN" header (the registry ADMIN_TOKEN or an API token)'),
    );
    const wrong = await h.post('/assets/ci/check/build', '', { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toEqual(
      unauthorized(
        "the token in the Authorization header is neither this registry's ADMIN_TOKEN nor one of its API tokens",
      ),
    );
  });

  it('ingests what CI just published', async () => {
    await publish(h.gh, 'ci/check', '3.1.4');
    const res = await h.post('/assets/ci/check/build', '', { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(res.status).toBe(202);
    await h.waitForJob((res.json() as { job_id: number }).job_id);
    expect(await served('ci/check')).toEqual(['3.1.4']);
  });

  it("is Bonsai's 404 for an unknown asset", async () => {
    const res = await h.post('/assets/ci/nope/build', '', { authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(res.status).toBe(404);
  });
});

describe('POST /api/v1/repos', () => {
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

  it('registers, then updates, a repository', async () => {
    h.gh.state.createRepo('reg/new-check', { description: 'From GitHub' });
    const created = await h.post('/api/v1/repos', { repository: 'reg/new-check', tags: 'a, b' }, admin);
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ name: 'reg/new-check', created: true });
    await h.waitForJob((created.json() as { job_id: number }).job_id);
    const updated = await h.post('/api/v1/repos', { repository: 'reg/new-check', tier: 'Enterprise' }, admin);
    expect(updated.status).toBe(200);
    expect(updated.json()).toMatchObject({ created: false });
    await h.waitForJob((updated.json() as { job_id: number }).job_id);
    await publish(h.gh, 'reg/new-check', '1.0.0');
    await h.sync('reg/new-check');
    const def = (await h.get('/api/v1/assets/reg/new-check/1.0.0/release_asset_builds')).json() as {
      metadata: { annotations: Record<string, string> };
    };
    expect(def.metadata.annotations).toMatchObject({
      'io.sensu.bonsai.tier': 'Enterprise',
      'io.sensu.bonsai.tags': 'a, b',
    });
    expect((await h.get('/api/v1/assets/reg/new-check')).json()).toMatchObject({
      description: 'From GitHub',
    });
  });

  it.each([
    ['no body', '', 'repository is required, as OWNER/NAME'],
    ['not JSON', '{', 'the request body is not valid JSON'],
    [
      'a bad name',
      { repository: 'no-slash' },
      '"no-slash" is not a GitHub repository: write it as OWNER/NAME',
    ],
    ['an empty tier', { repository: 'a/b', tier: ' ' }, 'tier must not be empty'],
  ])('refuses %s with INVALID_DATA', async (_label, body, message) => {
    const res = await h.post('/api/v1/repos', body, admin);
    expect(res.status).toBe(400);
    expect(res.json()).toEqual(
      expect.objectContaining({
        error_code: 'INVALID_DATA',
        error_messages: expect.arrayContaining([message]),
      }),
    );
  });

  it('needs the admin token', async () => {
    expect((await h.post('/api/v1/repos', { repository: 'a/b' })).status).toBe(401);
  });

  it('refuses a body over 64 KiB with PAYLOAD_TOO_LARGE', async () => {
    const body = { repository: 'big/body', description: 'x'.repeat(64 * 1024) };
    const res = await h.post('/api/v1/repos', body, admin);
    expect(res.status).toBe(413);
    expect(res.text).toBe(
      '{"error_code":"PAYLOAD_TOO_LARGE","error_messages":["the request body is larger than 65536 bytes"]}',
    );
    expect(await served('big/body').catch(() => 'not registered')).toBe('not registered');
  });
});

describe('concurrent registrations of one repository on Postgres', () => {
  let pg: Harness;
  beforeAll(async () => {
    pg = await startHarness({ db: 'postgres' });
  });
  afterAll(() => pg?.close());

  it('register it once and answer every request', async () => {
    pg.gh.state.createRepo('race/same-repo');
    const names = ['race/same-repo', 'Race/Same-Repo', 'race/SAME-repo', 'RACE/same-repo'];
    const answers = await Promise.all(
      [...names, ...names].map((repository) =>
        pg.post('/api/v1/repos', { repository }, { authorization: `Bearer ${ADMIN_TOKEN}` }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    const { rows } = await pg.registry.runtime.db.query<{ namespace: string; name: string }>(
      'SELECT namespace, name FROM assets',
    );
    expect(rows).toHaveLength(1);
    for (const answer of answers)
      expect(answer.json()).toMatchObject({ name: `${rows[0]!.namespace}/${rows[0]!.name}` });
  });
});

describe('logs', () => {
  it('carry a request id and no secret', async () => {
    const res = await h.get('/api/v1/assets', { 'x-request-id': 'trace-me-42' });
    expect(res.headers.get('x-request-id')).toBe('trace-me-42');
    const generated = (await h.get('/api/v1/assets')).headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const text = h.logs.join('');
    expect(text).toContain('"requestId":"trace-me-42"');
    for (const secret of [ADMIN_TOKEN, WEBHOOK_SECRET, REGISTRY_TOKEN]) expect(text).not.toContain(secret);
  });
});

describe('a registry without WEBHOOK_SECRET or ADMIN_TOKEN', () => {
  let bare: Harness;
  beforeAll(async () => {
    bare = await startHarness({ env: { WEBHOOK_SECRET: '', ADMIN_TOKEN: '' } });
  });
  afterAll(() => bare?.close());

  it('refuses webhooks and admin requests, saying which variable to set', async () => {
    const body = '{}';
    const hook = await bare.post('/webhooks/github', body, { 'x-hub-signature-256': await sign('x', body) });
    expect(hook.status).toBe(401);
    expect(hook.json()).toEqual(
      unauthorized('this registry has no WEBHOOK_SECRET set, so webhooks are refused'),
    );
    const admin = await bare.post(
      '/api/v1/repos',
      { repository: 'a/b' },
      { authorization: 'Bearer anything' },
    );
    expect(admin.json()).toEqual(
      unauthorized(
        "the token in the Authorization header is not one of this registry's API tokens (and no ADMIN_TOKEN is set)",
      ),
    );
  });
});
