import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { verify } from '@octokit/webhooks-methods';
import { assetApiUrl } from '../../../bonsai-schema/index.js';
import { z } from 'zod';
import { RegistryError, notFound } from '../../errors.js';
import { parseRegistration, registerRepository } from '../../repos.js';
import { findAsset, type AssetRecord } from '../../store/assets.js';
import { linkDeliveryToJob, recordDelivery } from '../../store/deliveries.js';
import { requireAdmin } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { readJsonBody, readRawBody } from '../raw-body.js';
import { sendJson } from '../respond.js';

/** GitHub caps webhook payloads at 25 MB; release payloads are far smaller. */
const MAX_WEBHOOK_BODY = 25 * 1024 * 1024;
const MAX_ADMIN_BODY = 64 * 1024;

/** The parts of a `release` event payload the registry reads. */
const releaseEventSchema = z.object({
  action: z.string().optional(),
  release: z.object({ tag_name: z.string(), draft: z.boolean().optional() }).optional(),
  repository: z.object({ name: z.string(), owner: z.object({ login: z.string() }) }).optional(),
});

/** Bonsai never checked webhook signatures; we always do, on the raw bytes, before parsing anything. */
async function verifiedBody(ctx: Context, secret: string | undefined): Promise<Buffer> {
  if (!secret) {
    throw new RegistryError(
      'UNAUTHORIZED',
      'this registry has no WEBHOOK_SECRET set, so webhooks are refused',
      {
        hint: 'set WEBHOOK_SECRET on the registry and the same secret on the GitHub webhook',
      },
    );
  }
  const raw = await readRawBody(ctx.req, MAX_WEBHOOK_BODY);
  const signature = ctx.get('X-Hub-Signature-256');
  if (!signature) {
    throw new RegistryError(
      'UNAUTHORIZED',
      'missing X-Hub-Signature-256 header: the webhook must be signed',
      {
        hint: 'set the webhook secret in the GitHub webhook settings to WEBHOOK_SECRET',
      },
    );
  }
  const valid = raw.length > 0 && (await verify(secret, raw.toString('utf8'), signature).catch(() => false));
  if (!valid) {
    throw new RegistryError('UNAUTHORIZED', 'X-Hub-Signature-256 does not match the body', {
      hint: "the webhook's secret differs from WEBHOOK_SECRET, or the body was changed on the way",
    });
  }
  return raw;
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
  const event = ctx.get('X-GitHub-Event');
  const deliveryId = ctx.get('X-GitHub-Delivery');
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
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
    return job;
  });
  if (!outcome) return sendJson(ctx, 200, { message: `duplicate delivery ${deliveryId}: already accepted` });
  deps.jobs.wake();
  sendJson(ctx, 202, { message: 'accepted', job_id: outcome.id });
}

export function triggerRoutes(router: Router, deps: HttpDeps): void {
  router.post('/webhooks/github', async (ctx) => {
    const raw = await verifiedBody(ctx, deps.webhookSecret);
    await handleWebhook(ctx, deps, raw, undefined);
  });

  router.post('/assets/:namespace/:name/webhook', async (ctx) => {
    // The signature is checked before the asset is looked up: an unsigned request learns nothing.
    const raw = await verifiedBody(ctx, deps.webhookSecret);
    const { namespace, name } = ctx.params as { namespace: string; name: string };
    const asset = await findAsset(deps.db, namespace, name);
    if (!asset) throw notFound();
    await handleWebhook(ctx, deps, raw, asset);
  });

  // Bonsai's CI trigger: a pipeline calls it after uploading the release files.
  router.post('/assets/:namespace/:name/build', async (ctx) => {
    requireAdmin(ctx, deps.adminToken);
    const { namespace, name } = ctx.params as { namespace: string; name: string };
    const asset = await findAsset(deps.db, namespace, name);
    if (!asset) throw notFound();
    const job = await deps.db.transaction((tx) =>
      deps.jobs.enqueueSync(tx, asset.id, { force: false, conditional: false, trigger: 'ci' }),
    );
    deps.jobs.wake();
    sendJson(ctx, 202, {
      message: 'Please wait a minute or so for the repository releases to be recompiled.',
      job_id: job.id,
    });
  });

  router.post('/api/v1/repos', async (ctx) => {
    requireAdmin(ctx, deps.adminToken);
    const { ref, settings } = parseRegistration(await readJsonBody(ctx.req, MAX_ADMIN_BODY));
    const registration = await registerRepository(deps, ref, settings, 'api');
    deps.jobs.wake();
    sendJson(ctx, registration.created ? 201 : 200, {
      name: `${registration.asset.namespace}/${registration.asset.name}`,
      url: assetApiUrl(deps.urls.publicUrl, registration.asset),
      created: registration.created,
      job_id: registration.jobId,
    });
  });
}
