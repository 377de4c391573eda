import type { Router } from '@koa/router';
import { z } from 'zod';
import { RegistryError } from '../../errors.js';
import { addNamespaceKey, keyJson, parseKeyText, parseNamespace, revokeNamespaceKey } from '../../signing.js';
import { listKeys } from '../../store/keys.js';
import { authorize } from '../auth.js';
import type { HttpDeps } from '../deps.js';
import { readJsonBody } from '../raw-body.js';
import { sendJson } from '../respond.js';

/** A public key file is two short lines. */
const MAX_KEY_BODY = 16 * 1024;

const addKeySchema = z.object({
  public_key: z.string({ error: 'public_key is required: the text of the .pub file, or its key line' }),
});

/**
 * Signing keys per namespace. Listing is public (users need the keys to verify, as `bonsai add
 * --verify-key` does); adding and revoking are admin requests, like registering a repository.
 */
export function keyRoutes(router: Router, deps: HttpDeps): void {
  router.get('/api/v1/namespaces/:namespace/keys', async (ctx) => {
    const namespace = parseNamespace((ctx.params as { namespace: string }).namespace);
    const keys = await listKeys(deps.db, namespace);
    sendJson(ctx, 200, { namespace, keys: keys.map(keyJson) });
  });

  router.post('/api/v1/namespaces/:namespace/keys', async (ctx) => {
    const actor = await authorize(ctx, deps, 'admin');
    const namespace = parseNamespace((ctx.params as { namespace: string }).namespace);
    const parsed = addKeySchema.safeParse(await readJsonBody(ctx.req, MAX_KEY_BODY));
    if (!parsed.success) {
      throw new RegistryError('INVALID_DATA', parsed.error.issues.map((i) => i.message).join('; '));
    }
    const change = await addNamespaceKey(
      deps.db,
      namespace,
      parseKeyText(parsed.data.public_key),
      (q, id, p) => deps.jobs.enqueueSync(q, id, p),
      { actor: actor.name, requestId: ctx.state.requestId as string },
    );
    if (change.jobs.length > 0) deps.jobs.wake();
    sendJson(ctx, change.created ? 201 : 200, {
      ...keyJson(change.key),
      created: change.created,
      job_ids: change.jobs,
    });
  });

  router.post('/api/v1/namespaces/:namespace/keys/:keyId/revoke', async (ctx) => {
    const actor = await authorize(ctx, deps, 'admin');
    const params = ctx.params as { namespace: string; keyId: string };
    const namespace = parseNamespace(params.namespace);
    if (!/^[0-9A-Fa-f]{16}$/.test(params.keyId)) {
      throw new RegistryError(
        'INVALID_DATA',
        `${JSON.stringify(params.keyId)} is not a key id (16 hex digits)`,
      );
    }
    const change = await revokeNamespaceKey(
      deps.db,
      namespace,
      params.keyId,
      (q, id, p) => deps.jobs.enqueueSync(q, id, p),
      { actor: actor.name, requestId: ctx.state.requestId as string },
    );
    if (change.jobs.length > 0) deps.jobs.wake();
    sendJson(ctx, 200, { ...keyJson(change.key), job_ids: change.jobs });
  });
}
