import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { assetApiUrl } from '../../../bonsai-schema/index.js';
import { z } from 'zod';
import { RegistryError, isRegistryError, notFound } from '../../errors.js';
import { assertCleanHeader, badName, invalidData, utf8Text } from '../clean-input.js';
import { parseRegistration, registerRepository } from '../../repos.js';
import { findAsset, type AssetRecord } from '../../store/assets.js';
import { linkDeliveryToJob, recordDelivery } from '../../store/deliveries.js';
import { recordAudit } from '../../store/audit.js';
import { syncScope } from '../../tokens.js';
import { authorize } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { assertDeclaredLength, readJsonBody, readRawBody, sameDigest, signatureDigest } from '../raw-body.js';
import { sendJson } from '../respond.js';

/**
 * GitHub caps webhook payloads at 25 MB, but a release event is a few kB (its notes at most 125,000
 * characters): 5 MiB leaves room for huge asset lists while bounding what one request can hold.
 */
export const MAX_WEBHOOK_BODY = 5 * 1024 * 1024;
/** Webhook bodies read at once; more are answered 429 before their body is read. */
export const MAX_WEBHOOKS_IN_FLIGHT = 16;
const MAX_ADMIN_BODY = 64 * 1024;

/** The parts of a `release` event payload the registry reads. */
const releaseEventSchema = z.object({
  action: z.string().optional(),
  release: z.object({ tag_name: z.string(), draft: z.boolean().optional() }).optional(),
  repository: z.object({ name: z.string(), owner: z.object({ login: z.string() }) }).optional(),
});

/** The request is answered without its body being read: close the connection rather than drain it. */
function refuseUnread(ctx: Context, err: RegistryError): never {
  ctx.set('Connection', 'close');
  throw err;
}

/** Webhook bodies being received now (one counter per server). */
function inFlightGate(max: number) {
  let inFlight = 0;
  return {
    async run<T>(ctx: Context, fn: () => Promise<T>): Promise<T> {
      if (inFlight >= max) {
        ctx.set('Retry-After', '1');
        refuseUnread(
          ctx,
          new RegistryError(
            'TOO_MANY_REQUESTS',
            `more than ${max} webhook deliveries are being received at once`,
          ),
        );
      }
      inFlight++;
      try {
        return await fn();
      } finally {
        inFlight--;
      }
    },
  };
}

/**
 * Bonsai never checked webhook signatures; we always do. Everything that needs no body is refused
 * before the body is read (no secret, no or malformed signature, a declared length over the cap, too
 * many deliveries at once); the HMAC is computed on the raw bytes as they arrive, before any parse.
 */
async function verifiedBody(
  ctx: Context,
  secret: string | undefined,
  gate: ReturnType<typeof inFlightGate>,
): Promise<Buffer> {
  if (!secret) {
    refuseUnread(
      ctx,
      new RegistryError('UNAUTHORIZED', 'this registry has no WEBHOOK_SECRET set, so webhooks are refused', {
        hint: 'set WEBHOOK_SECRET on the registry and the same secret on the GitHub webhook',
      }),
    );
  }
  const header = ctx.get('X-Hub-Signature-256');
  if (!header) {
    refuseUnread(
      ctx,
      new RegistryError('UNAUTHORIZED', 'missing X-Hub-Signature-256 header: the webhook must be signed', {
        hint: 'set the webhook secret in the GitHub webhook settings to WEBHOOK_SECRET',
      }),
    );
  }
  const expected = signatureDigest(header);
  if (!expected) {
    refuseUnread(
      ctx,
      new RegistryError('UNAUTHORIZED', 'X-Hub-Signature-256 is not "sha256=" and 64 hex digits', {
        hint: 'set the webhook secret in the GitHub webhook settings to WEBHOOK_SECRET',
      }),
    );
  }
  try {
    assertDeclaredLength(ctx.req, MAX_WEBHOOK_BODY);
  } catch (err) {
    refuseUnread(ctx, err as RegistryError);
  }
  let digest: Buffer | undefined;
  const raw = await gate
    .run(ctx, () => readRawBody(ctx.req, MAX_WEBHOOK_BODY, { secret, onDigest: (d) => (digest = d) }))
    .catch((err: unknown) => {
      if (isRegistryError(err) && err.code === 'PAYLOAD_TOO_LARGE') ctx.set('Connection', 'close');
      throw err;
    });
  if (raw.length === 0 || !digest || !sameDigest(digest, expected)) {
    throw new RegistryError('UNAUTHORIZED', 'X-Hub-Signature-256 does not match the body', {
      hint: "the webhook's secret differs from WEBHOOK_SECRET, or the body was changed on the way",
    });
  }
  return raw;
}

/** The delivery's headers, checked before they reach the database (the id is a GUID). */
function deliveryHeaders(ctx: Context): { event: string; deliveryId: string } {
  const event = ctx.get('X-GitHub-Event');
  const deliveryId = ctx.get('X-GitHub-Delivery');
  assertCleanHeader('X-GitHub-Event', event, 100);
  assertCleanHeader('X-GitHub-Delivery', deliveryId, 100);
  return { event, deliveryId };
}

/** The names the registry uses from a release event: no NUL, controls or broken UTF-8. */
function assertCleanEvent(payload: z.infer<typeof releaseEventSchema>): void {
  const fields: [string, string | undefined][] = [
    ['action', payload.action],
    ['release.tag_name', payload.release?.tag_name],
    ['repository.name', payload.repository?.name],
    ['repository.owner.login', payload.repository?.owner.login],
  ];
  for (const [field, value] of fields) {
    const bad = value === undefined ? undefined : badName(value);
    if (bad) throw invalidData(`the webhook payload's ${field} contains ${bad}`);
  }
}

/**
 * One webhook delivery. `asset` is set for Bonsai's per-asset URL; on the shared URL the repository named
 * in the payload decides. The job row and the delivery id are committed before the 202.
 */
async function handleWebhook(
  ctx: Context,
  deps: HttpDeps,
  raw: Buffer,
  assetFromPath: AssetRecord | undefined,
): Promise<void> {
  const { event, deliveryId } = deliveryHeaders(ctx);
  const text = utf8Text(raw, 'webhook body');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RegistryError(
      'INVALID_DATA',
      'the webhook body is not JSON: set the content type to application/json',
    );
  }
  if (event === 'ping') return sendJson(ctx, 200, { message: 'pong' });
  if (event !== 'release')
    return sendJson(ctx, 200, {
      message: `ignored: event ${event || '(none)'} (only release events ingest)`,
    });
  const parsed = releaseEventSchema.safeParse(json);
  if (!parsed.success)
    throw new RegistryError('INVALID_DATA', 'the release event has no release or repository');
  const payload = parsed.data;
  assertCleanEvent(payload);
  if (!deliveryId) throw new RegistryError('MISSING_REQUIRED_DATA', 'missing X-GitHub-Delivery header');

  let asset = assetFromPath;
  if (!asset) {
    const repo = payload.repository;
    asset = repo && (await findAsset(deps.db, repo.owner.login, repo.name));
    if (!asset) {
      const name = repo ? `${repo.owner.login}/${repo.name}` : '(no repository)';
      return sendJson(ctx, 200, { message: `ignored: ${name} is not registered here` });
    }
  }
  if (payload.release?.draft) return sendJson(ctx, 200, { message: 'ignored: draft release' });

  const target = asset;
  const outcome = await deps.db.transaction(async (tx) => {
    if (!(await recordDelivery(tx, { id: deliveryId, event, assetId: target.id }))) return undefined;
    const job = await deps.jobs.enqueueSync(tx, target.id, {
      force: false,
      conditional: false,
      trigger: 'webhook',
    });
    await linkDeliveryToJob(tx, deliveryId, job.id);
    await recordAudit(tx, {
      actor: 'webhook',
      action: 'sync.queue',
      target: `${target.namespace}/${target.name}`,
      requestId: ctx.state.requestId as string,
      detail: { delivery: deliveryId, job: job.id },
    });
    return job;
  });
  if (!outcome) return sendJson(ctx, 200, { message: `duplicate delivery ${deliveryId}: already accepted` });
  deps.jobs.wake();
  sendJson(ctx, 202, { message: 'accepted', job_id: outcome.id });
}

export function triggerRoutes(router: Router, deps: HttpDeps): void {
  const gate = inFlightGate(MAX_WEBHOOKS_IN_FLIGHT);
  router.post('/webhooks/github', async (ctx) => {
    const raw = await verifiedBody(ctx, deps.webhookSecret, gate);
    await handleWebhook(ctx, deps, raw, undefined);
  });

  router.post('/assets/:namespace/:name/webhook', async (ctx) => {
    // The signature is checked before the asset is looked up: an unsigned request learns nothing.
    const raw = await verifiedBody(ctx, deps.webhookSecret, gate);
    const { namespace, name } = ctx.params as { namespace: string; name: string };
    const asset = await findAsset(deps.db, namespace, name);
    if (!asset) throw notFound();
    await handleWebhook(ctx, deps, raw, asset);
  });

  // Bonsai's CI trigger: a pipeline calls it after uploading the release files.
  router.post('/assets/:namespace/:name/build', async (ctx) => {
    const { namespace, name } = ctx.params as { namespace: string; name: string };
    const actor = await authorize(ctx, deps, syncScope(namespace, name));
    const asset = await findAsset(deps.db, namespace, name);
    if (!asset) throw notFound();
    const job = await deps.db.transaction(async (tx) => {
      const queued = await deps.jobs.enqueueSync(tx, asset.id, {
        force: false,
        conditional: false,
        trigger: 'ci',
      });
      await recordAudit(tx, {
        actor: actor.name,
        action: 'sync.queue',
        target: `${asset.namespace}/${asset.name}`,
        requestId: ctx.state.requestId as string,
        detail: { job: queued.id },
      });
      return queued;
    });
    deps.jobs.wake();
    sendJson(ctx, 202, {
      message: 'Please wait a minute or so for the repository releases to be recompiled.',
      job_id: job.id,
    });
  });

  router.post('/api/v1/repos', async (ctx) => {
    const actor = await authorize(ctx, deps, 'admin');
    const { ref, settings } = parseRegistration(await readJsonBody(ctx.req, MAX_ADMIN_BODY));
    const registration = await registerRepository(deps, ref, settings, 'api', {
      actor: actor.name,
      requestId: ctx.state.requestId as string,
    });
    deps.jobs.wake();
    sendJson(ctx, registration.created ? 201 : 200, {
      name: `${registration.asset.namespace}/${registration.asset.name}`,
      url: assetApiUrl(deps.urls.publicUrl, registration.asset),
      created: registration.created,
      job_id: registration.jobId,
    });
  });
}
