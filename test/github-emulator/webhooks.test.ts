import { verify } from '@octokit/webhooks-methods';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from './emulator.js';
import { octokit, startReceiver } from './test-clients.js';

let gh: GitHubEmulator;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const owner = 'sensu';
const repo = 'check-disk';
const full = `${owner}/${repo}`;
const secret = 'It’s a Secret to Everybody';

beforeAll(async () => {
  gh = await startGitHubEmulator();
});
afterAll(() => gh.close());
beforeEach(async () => {
  gh.reset();
  receiver = await startReceiver();
  gh.state.createRepo(full);
  gh.state.addToken('writer', { login: 'alice', write: true });
  gh.state.commit(full, { files: { 'bonsai.yml': 'x' }, tag: '1.0.0' });
});
afterEach(() => receiver.close());

/** The release actions delivered so far, in the order the changes happened. */
const actions = () => gh.webhooks.deliveries({ event: 'release' }).map((d) => d.action);

describe('ping', () => {
  it('pings a hook when it is created, signed, with GitHub headers', async () => {
    const hook = gh.state.addHook(full, { url: receiver.url, secret });
    await gh.webhooks.settled();
    expect(receiver.received).toHaveLength(1);
    const [ping] = receiver.received;
    expect(ping?.headers).toMatchObject({
      'x-github-event': 'ping',
      'x-github-hook-id': String(hook.id),
      'content-type': 'application/json',
      'user-agent': expect.stringMatching(/^GitHub-Hookshot\//),
      'x-github-delivery': expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
    });
    expect(JSON.parse(ping?.body ?? '')).toMatchObject({
      hook_id: hook.id,
      hook: { id: hook.id, events: ['release'], config: { url: receiver.url, content_type: 'json' } },
      repository: { full_name: full },
      sender: { login: 'sensu' },
    });
    expect(await verify(secret, ping?.body ?? '', String(ping?.headers['x-hub-signature-256']))).toBe(true);
  });
});

describe('release deliveries', () => {
  beforeEach(async () => {
    gh.state.addHook(full, { url: receiver.url, secret, events: ['release'] });
    await gh.webhooks.settled();
    gh.webhooks.reset();
    receiver.received.length = 0;
  });

  it('delivers created, published and released for a new release, each verifiably signed', async () => {
    const { data: release } = await octokit(gh, 'writer').rest.repos.createRelease({
      owner,
      repo,
      tag_name: '1.0.0',
    });
    await gh.webhooks.settled();
    expect(actions()).toEqual(['created', 'published', 'released']);
    expect(receiver.received).toHaveLength(3);
    for (const delivery of receiver.received) {
      expect(delivery.headers['x-github-event']).toBe('release');
      const signature = String(delivery.headers['x-hub-signature-256']);
      expect(await verify(secret, delivery.body, signature)).toBe(true);
      expect(await verify('another secret', delivery.body, signature)).toBe(false);
      expect(JSON.parse(delivery.body)).toMatchObject({
        release: { id: release.id, tag_name: '1.0.0', draft: false, upload_url: release.upload_url },
        repository: { full_name: full, private: false },
        sender: { login: 'alice' },
      });
    }
    expect(gh.webhooks.deliveries().every((d) => d.statusCode === 200)).toBe(true);
  });

  it('delivers prereleased, not released, for a prerelease', async () => {
    await octokit(gh, 'writer').rest.repos.createRelease({
      owner,
      repo,
      tag_name: '1.0.0',
      prerelease: true,
    });
    await gh.webhooks.settled();
    expect(actions()).toEqual(['created', 'published', 'prereleased']);
  });

  it('follows a draft through publish, edit, unpublish and delete', async () => {
    const client = octokit(gh, 'writer');
    const { data: draft } = await client.rest.repos.createRelease({
      owner,
      repo,
      tag_name: '1.0.0',
      draft: true,
    });
    const release_id = draft.id;
    await client.rest.repos.updateRelease({ owner, repo, release_id, draft: false });
    await client.rest.repos.updateRelease({ owner, repo, release_id, name: 'Renamed', body: 'new notes' });
    await client.rest.repos.updateRelease({ owner, repo, release_id, draft: true });
    await client.rest.repos.deleteRelease({ owner, repo, release_id });
    await gh.webhooks.settled();
    expect(actions()).toEqual(['created', 'published', 'released', 'edited', 'unpublished', 'deleted']);
    const edited = gh.webhooks.deliveries().find((d) => d.action === 'edited');
    expect(edited?.payload).toMatchObject({
      changes: { name: { from: '' }, body: { from: '' } },
      release: { name: 'Renamed', body: 'new notes' },
    });
  });

  it('delivers released when a prerelease becomes a full release', async () => {
    const client = octokit(gh, 'writer');
    const { data } = await client.rest.repos.createRelease({
      owner,
      repo,
      tag_name: '1.0.0',
      prerelease: true,
    });
    await client.rest.repos.updateRelease({ owner, repo, release_id: data.id, prerelease: false });
    await gh.webhooks.settled();
    expect(actions()).toEqual(['created', 'published', 'prereleased', 'edited', 'released']);
  });

  it('sends nothing to hooks that did not subscribe to release, or are inactive', async () => {
    const other = await startReceiver();
    gh.state.addHook(full, { url: other.url, events: ['push'] });
    gh.state.addHook(full, { url: other.url, events: ['release'], active: false });
    gh.state.createRelease(full, { tag_name: '1.0.0' });
    await gh.webhooks.settled();
    expect(other.received.map((r) => r.headers['x-github-event'])).toEqual(['ping', 'ping']);
    await other.close();
  });

  it('records the receiver status, and an unreachable receiver as an error', async () => {
    receiver.status = 500;
    const unreachable = await startReceiver();
    await unreachable.close();
    gh.state.addHook(full, { url: unreachable.url, events: ['release'] });
    gh.state.createRelease(full, { tag_name: '1.0.0', draft: true });
    await gh.webhooks.settled();
    const [toReceiver, toNobody] = gh.webhooks.deliveries({ event: 'release' });
    expect(toReceiver?.statusCode).toBe(500);
    expect(toNobody?.statusCode).toBeNull();
    expect(toNobody?.error).toMatch(/ECONNREFUSED/);
  });

  it('redelivers a delivery with the same GUID and body', async () => {
    receiver.status = 503;
    gh.state.createRelease(full, { tag_name: '1.0.0', draft: true });
    await gh.webhooks.settled();
    const [failed] = gh.webhooks.deliveries({ event: 'release' });
    receiver.status = 200;
    const again = await gh.webhooks.redeliver(failed?.id ?? 0);
    expect(again).toMatchObject({
      guid: failed?.guid,
      body: failed?.body,
      redelivery: true,
      statusCode: 200,
    });
    const guids = receiver.received.map((r) => r.headers['x-github-delivery']);
    expect(guids).toEqual([failed?.guid, failed?.guid]);
  });

  it('sends form-encoded payloads to a form hook, signed over the raw body', async () => {
    const form = await startReceiver();
    gh.state.addHook(full, { url: form.url, secret, contentType: 'form' });
    gh.state.createRelease(full, { tag_name: '1.0.0', draft: true });
    await gh.webhooks.settled();
    const created = form.received.find((r) => r.headers['x-github-event'] === 'release');
    expect(created?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const payload = new URLSearchParams(created?.body).get('payload') ?? '';
    expect(JSON.parse(payload)).toMatchObject({ action: 'created' });
    expect(await verify(secret, created?.body ?? '', String(created?.headers['x-hub-signature-256']))).toBe(
      true,
    );
    await form.close();
  });
});

describe('hooks over REST', () => {
  it('creates a hook (pinging it), lists its deliveries and redelivers one', async () => {
    const client = octokit(gh, 'writer');
    const { data: hook } = await client.rest.repos.createWebhook({
      owner,
      repo,
      config: { url: receiver.url, content_type: 'json', secret },
      events: ['release'],
    });
    expect(hook).toMatchObject({
      name: 'web',
      active: true,
      events: ['release'],
      config: { url: receiver.url, secret: '********' },
    });
    await gh.webhooks.settled();
    const { data: deliveries } = await client.rest.repos.listWebhookDeliveries({
      owner,
      repo,
      hook_id: hook.id,
    });
    expect(deliveries).toMatchObject([{ event: 'ping', status_code: 200, status: 'OK', redelivery: false }]);

    const redelivered = await client.rest.repos.redeliverWebhookDelivery({
      owner,
      repo,
      hook_id: hook.id,
      delivery_id: deliveries[0]?.id ?? 0,
    });
    expect(redelivered.status).toBe(202);
    await gh.webhooks.settled();
    expect(receiver.received.map((r) => r.headers['x-github-delivery'])).toEqual([
      deliveries[0]?.guid,
      deliveries[0]?.guid,
    ]);

    expect((await client.rest.repos.deleteWebhook({ owner, repo, hook_id: hook.id })).status).toBe(204);
    expect((await client.rest.repos.listWebhooks({ owner, repo })).data).toEqual([]);
  });
});
