import { createHmac, randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import type { RestEndpointMethodTypes } from '@octokit/rest';
import { sign } from '@octokit/webhooks-methods';
import { z } from 'zod';
import { actorOf, requireRepo } from './auth.js';
import { docs, notFound } from './errors.js';
import { readJson, type RequestState, type RouteEnv } from './http.js';
import type { HookRecord, ReleaseEvent, UserRecord } from './model.js';
import { iso, type Renderer } from './render.js';
import type { EmulatorState } from './state.js';
import { parseBody } from './validate.js';

/** One POST the emulator made to a hook's URL, and what came back. */
export interface Delivery {
  /** Numeric, unique per attempt (GitHub's delivery `id`). */
  id: number;
  /** `X-GitHub-Delivery`: the same for a redelivery of the same event. */
  guid: string;
  hookId: number;
  repo: string;
  url: string;
  event: string;
  action: string | null;
  redelivery: boolean;
  requestHeaders: Record<string, string>;
  /** The exact bytes sent (what the signature covers). */
  body: string;
  payload: Record<string, unknown>;
  deliveredAt: Date;
  /** The receiver's status code; null when it could not be reached (see `error`). */
  statusCode: number | null;
  responseBody?: string;
  error?: string;
  durationMs?: number;
}

type DeliveryItemJson = RestEndpointMethodTypes['repos']['listWebhookDeliveries']['response']['data'][number];

/** GitHub's ping payloads carry one of its zen sayings; any constant line does the job here. */
const ZEN = 'Design for failure.';
const HOOKSHOT = 'GitHub-Hookshot/7f3e1a2';

const hookBody = z.object({
  name: z.string().optional(),
  config: z.object({
    url: z.string(),
    content_type: z.enum(['json', 'form']).optional(),
    secret: z.string().optional(),
    insecure_ssl: z.union([z.string(), z.number()]).optional(),
  }),
  events: z.array(z.string()).optional(),
  active: z.boolean().optional(),
});

/** Delivers `release` and `ping` events to the hooks of a repository, signed, and records each delivery. */
export class Webhooks {
  private records: Delivery[] = [];
  private pending = new Set<Promise<void>>();

  constructor(
    private state: EmulatorState,
    private render: Renderer,
    private timeoutMs = 10_000,
  ) {
    state.onRelease((event) => this.onRelease(event));
    state.onHookCreated((hook, sender) => this.ping(hook, sender));
  }

  /** Every delivery so far, oldest first (the order the events happened). */
  deliveries(filter: { event?: string; repo?: string; hookId?: number } = {}): Delivery[] {
    return this.records.filter(
      (delivery) =>
        (!filter.event || delivery.event === filter.event) &&
        (!filter.repo || delivery.repo.toLowerCase() === filter.repo.toLowerCase()) &&
        (!filter.hookId || delivery.hookId === filter.hookId),
    );
  }

  /** Resolves once every delivery started so far (and any they led to) has its answer. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Sends a recorded delivery again: same GUID, same payload, `redelivery: true`. */
  async redeliver(deliveryId: number): Promise<Delivery> {
    const original = this.records.find((delivery) => delivery.id === deliveryId);
    const hook = original && this.state.findRepo(original.repo)?.hooks.find((h) => h.id === original.hookId);
    if (!original || !hook) throw notFound(docs.hooks);
    const delivery = this.start(hook, original.event, original.payload, original.guid, true);
    await this.settled();
    return delivery;
  }

  reset() {
    this.records = [];
  }

  ping(hook: HookRecord, sender: UserRecord) {
    this.start(hook, 'ping', {
      zen: ZEN,
      hook_id: hook.id,
      hook: this.render.hook(hook),
      repository: this.render.repo(hook.repo),
      sender: this.render.user(sender),
    });
  }

  private onRelease({ action, release, sender, changes }: ReleaseEvent) {
    const payload = {
      action,
      ...(changes ? { changes } : {}),
      release: this.render.release(release),
      repository: this.render.repo(release.repo),
      sender: this.render.user(sender),
    };
    for (const hook of release.repo.hooks) {
      if (hook.active && (hook.events.includes('release') || hook.events.includes('*'))) {
        this.start(hook, 'release', payload);
      }
    }
  }

  private start(
    hook: HookRecord,
    event: string,
    payload: Record<string, unknown>,
    guid: string = randomUUID(),
    redelivery = false,
  ) {
    const json = JSON.stringify(payload);
    const body = hook.contentType === 'json' ? json : `payload=${encodeURIComponent(json)}`;
    const delivery: Delivery = {
      id: this.records.length + 1,
      guid,
      hookId: hook.id,
      repo: hook.repo.fullName,
      url: hook.url,
      event,
      action: typeof payload.action === 'string' ? payload.action : null,
      redelivery,
      requestHeaders: {
        accept: '*/*',
        'content-type':
          hook.contentType === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
        'user-agent': HOOKSHOT,
        'x-github-delivery': guid,
        'x-github-event': event,
        'x-github-hook-id': String(hook.id),
        'x-github-hook-installation-target-id': String(hook.repo.id),
        'x-github-hook-installation-target-type': 'repository',
      },
      body,
      payload,
      deliveredAt: new Date(),
      statusCode: null,
    };
    this.records.push(delivery);
    const sending = this.send(hook, delivery).finally(() => this.pending.delete(sending));
    this.pending.add(sending);
    return delivery;
  }

  private async send(hook: HookRecord, delivery: Delivery) {
    if (hook.secret) {
      delivery.requestHeaders['x-hub-signature'] =
        `sha1=${createHmac('sha1', hook.secret).update(delivery.body).digest('hex')}`;
      delivery.requestHeaders['x-hub-signature-256'] = await sign(hook.secret, delivery.body);
    }
    const started = performance.now();
    try {
      const response = await fetch(hook.url, {
        method: 'POST',
        headers: delivery.requestHeaders,
        body: delivery.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      delivery.statusCode = response.status;
      delivery.responseBody = await response.text();
      hook.lastResponse = {
        code: response.status,
        status: 'active',
        message: `${response.status} ${response.statusText}`,
      };
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      delivery.error = cause instanceof Error ? cause.message : String(cause);
      hook.lastResponse = { code: null, status: 'failed', message: delivery.error };
    } finally {
      delivery.durationMs = performance.now() - started;
    }
  }

  deliveryItem(delivery: Delivery): DeliveryItemJson {
    const ok = delivery.statusCode !== null && delivery.statusCode < 300;
    return {
      id: delivery.id,
      guid: delivery.guid,
      delivered_at: iso(delivery.deliveredAt),
      redelivery: delivery.redelivery,
      duration: (delivery.durationMs ?? 0) / 1000,
      status: ok ? 'OK' : (delivery.error ?? `Invalid HTTP Response: ${delivery.statusCode ?? ''}`),
      status_code: delivery.statusCode ?? 0,
      event: delivery.event,
      action: delivery.action,
      installation_id: null,
      repository_id: this.state.findRepo(delivery.repo)?.id ?? null,
      throttled_at: null,
    };
  }
}

/** Repository webhooks over REST: create (which pings), list, get, delete, ping, deliveries, redeliver. */
export function hookRoutes(router: Router<RequestState>, { state, render }: RouteEnv, webhooks: Webhooks) {
  const hookOf = (repo: Parameters<EmulatorState['hook']>[0], id: string | undefined) =>
    state.hook(repo, Number(id));

  router.get('/repos/:owner/:repo/hooks', (ctx) => {
    const repo = requireRepo(ctx, state, 'write', docs.hooks);
    ctx.body = repo.hooks.map((hook) => render.hook(hook));
  });

  router.post('/repos/:owner/:repo/hooks', async (ctx) => {
    const repo = requireRepo(ctx, state, 'write', docs.hooks);
    const input = parseBody(hookBody, await readJson(ctx, docs.hooks), docs.hooks);
    const hook = state.addHook(
      repo,
      {
        url: input.config.url,
        ...(input.config.secret ? { secret: input.config.secret } : {}),
        ...(input.events ? { events: input.events } : {}),
        ...(input.config.content_type ? { contentType: input.config.content_type } : {}),
        ...(input.active !== undefined ? { active: input.active } : {}),
      },
      actorOf(ctx),
    );
    ctx.status = 201;
    ctx.body = render.hook(hook);
  });

  router.get('/repos/:owner/:repo/hooks/:hook_id', (ctx) => {
    const repo = requireRepo(ctx, state, 'write', docs.hooks);
    ctx.body = render.hook(hookOf(repo, ctx.params.hook_id));
  });

  router.delete('/repos/:owner/:repo/hooks/:hook_id', (ctx) => {
    const repo = requireRepo(ctx, state, 'write', docs.hooks);
    state.deleteHook(hookOf(repo, ctx.params.hook_id));
    ctx.status = 204;
  });

  router.post('/repos/:owner/:repo/hooks/:hook_id/pings', (ctx) => {
    const repo = requireRepo(ctx, state, 'write', docs.hooks);
    webhooks.ping(hookOf(repo, ctx.params.hook_id), actorOf(ctx));
    ctx.status = 204;
  });

  router.get('/repos/:owner/:repo/hooks/:hook_id/deliveries', (ctx) => {
    const repo = requireRepo(ctx, state, 'write', docs.hooks);
    const hook = hookOf(repo, ctx.params.hook_id);
    ctx.body = webhooks
      .deliveries({ hookId: hook.id })
      .reverse()
      .map((delivery) => webhooks.deliveryItem(delivery));
  });

  router.post('/repos/:owner/:repo/hooks/:hook_id/deliveries/:delivery_id/attempts', (ctx) => {
    const repo = requireRepo(ctx, state, 'write', docs.hooks);
    const hook = hookOf(repo, ctx.params.hook_id);
    const delivery = webhooks
      .deliveries({ hookId: hook.id })
      .find((d) => d.id === Number(ctx.params.delivery_id));
    if (!delivery) throw notFound(docs.hooks);
    void webhooks.redeliver(delivery.id);
    ctx.status = 202;
    ctx.body = {};
  });
}
