import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryError, type RegistryErrorCode } from '../errors.js';
import type { LocalServer } from '../local-server.js';
import type { RepositoryRef } from '../repos.js';
import type { AssetSettings } from '../store/assets.js';
import type { AssetStatus, RegistryOverview } from '../status.js';
import { cliActor } from './actor.js';

/** The CLI's side of embedded mode: the same verbs, through the running server's admin routes. */
async function call(
  server: LocalServer,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  let res: Response;
  try {
    res = await fetch(server.url + route, {
      method,
      headers: {
        authorization: `Bearer ${server.token}`,
        'x-bonsai-actor': cliActor(),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new RegistryError('DATABASE_IN_USE', `the running registry at ${server.url} does not answer`, {
      hint: 'it holds the embedded database: wait for it, or stop it (then this command opens DATA_DIR itself)',
      cause: err,
    });
  }
  const text = await res.text();
  const json = text === '' ? undefined : (JSON.parse(text) as unknown);
  if (res.status >= 400 && res.status !== 404) {
    const error = json as { error_code?: RegistryErrorCode; error_messages?: string[] } | undefined;
    const [message, hint] = error?.error_messages ?? [`HTTP ${res.status}`];
    throw new RegistryError(error?.error_code ?? 'INTERNAL', message ?? `HTTP ${res.status}`, {
      ...(hint ? { hint } : {}),
    });
  }
  return { status: res.status, json };
}

export async function remoteAddRepo(
  server: LocalServer,
  ref: RepositoryRef,
  settings: AssetSettings,
): Promise<{ name: string; created: boolean; jobId: number }> {
  const { json } = await call(server, 'POST', '/api/v1/repos', {
    repository: `${ref.namespace}/${ref.name}`,
    ...settings,
  });
  const answer = json as { name: string; created: boolean; job_id: number };
  return { name: answer.name, created: answer.created, jobId: answer.job_id };
}

export async function remoteAssetStatus(
  server: LocalServer,
  ref: RepositoryRef,
): Promise<AssetStatus | undefined> {
  const { status, json } = await call(server, 'GET', `/api/v1/assets/${ref.namespace}/${ref.name}/status`);
  return status === 404 ? undefined : (json as AssetStatus);
}

export async function remoteOverview(server: LocalServer): Promise<RegistryOverview> {
  return (await call(server, 'GET', '/api/v1/registry/status')).json as RegistryOverview;
}

/**
 * Queues a sync on the running server and waits for its job to finish; undefined when the asset is not
 * registered. The job's versions are then read from the asset's status.
 */
export async function remoteSync(
  server: LocalServer,
  ref: RepositoryRef,
  timeoutMs = 30 * 60_000,
): Promise<{ job: AssetStatus['jobs'][number]; status: AssetStatus } | undefined> {
  const queued = await call(server, 'POST', `/assets/${ref.namespace}/${ref.name}/build`);
  if (queued.status === 404) return undefined;
  const jobId = (queued.json as { job_id: number }).job_id;
  const deadline = Date.now() + timeoutMs;
  for (let wait = 50; Date.now() < deadline; wait = Math.min(wait * 2, 1_000)) {
    const status = await remoteAssetStatus(server, ref);
    const job = status?.jobs.find((j) => j.id === jobId);
    if (status && job && (job.state === 'done' || job.state === 'failed')) return { job, status };
    await sleep(wait);
  }
  throw new RegistryError(
    'SYNC_RUNNING',
    `sync job ${jobId} of ${ref.namespace}/${ref.name} is still running`,
    {
      hint: `bonsai registry status ${ref.namespace}/${ref.name} shows when it is done`,
    },
  );
}
