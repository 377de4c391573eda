import { z } from 'zod';
import type { Cache } from './cache/port.js';
import type { Db } from './db/port.js';
import { RegistryError } from './errors.js';
import { renderAsset, type RenderContext } from './ingest/render.js';
import { invalidateAsset } from './cache/names.js';
import { enqueueSync } from './jobs/queue.js';
import { registerAsset, type AssetRecord, type AssetSettings } from './store/assets.js';
import { recordAudit } from './store/audit.js';

/** GitHub's rules for owner and repository names. */
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;

export interface RepositoryRef {
  namespace: string;
  name: string;
}

/** `OWNER/NAME` as GitHub spells repositories; the asset is served as the same `namespace/name`. */
export function parseRepository(text: string): RepositoryRef {
  const [owner, repo, ...rest] = text.trim().split('/');
  if (
    owner === undefined ||
    repo === undefined ||
    rest.length > 0 ||
    !OWNER.test(owner) ||
    !REPO.test(repo)
  ) {
    throw new RegistryError(
      'INVALID_DATA',
      `${JSON.stringify(text)} is not a GitHub repository: write it as OWNER/NAME`,
      {
        hint: 'e.g. sensu/sensu-slack-handler',
      },
    );
  }
  return { namespace: owner, name: repo };
}

const tagList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((t) => t.trim()).filter((t) => t !== ''));

/** The body of `POST /api/v1/repos`. */
export const registrationSchema = z.object({
  repository: z.string({ error: 'repository is required, as OWNER/NAME' }),
  tier: z.string().trim().min(1, { error: 'tier must not be empty' }).optional(),
  tags: tagList.optional(),
  description: z.string().optional(),
});

/** A registration request (`POST /api/v1/repos` body, or add-repo's argument and flags), validated. */
export function parseRegistration(input: unknown): { ref: RepositoryRef; settings: AssetSettings } {
  const parsed = registrationSchema.safeParse(input);
  if (!parsed.success) {
    throw new RegistryError('INVALID_DATA', parsed.error.issues.map((i) => i.message).join('; '));
  }
  const { repository, tier, tags, description } = parsed.data;
  const settings: AssetSettings = {};
  if (tier !== undefined) settings.tier = tier;
  if (tags !== undefined) settings.tags = tags;
  if (description !== undefined) settings.description = description;
  return { ref: parseRepository(repository), settings };
}

export interface Registration {
  asset: AssetRecord;
  created: boolean;
  /** The sync job that ingests its releases. */
  jobId: number;
}

/**
 * Registers a repository as an asset (or updates its tier, tags, description), renders it, and enqueues
 * its first sync, all in one transaction.
 */
export async function registerRepository(
  deps: { db: Db; cache: Cache; urls: RenderContext },
  ref: RepositoryRef,
  settings: AssetSettings,
  trigger: string,
  by: { actor: string; requestId?: string },
): Promise<Registration> {
  const result = await deps.db.transaction(async (tx) => {
    const { asset, created } = await registerAsset(tx, ref.namespace, ref.name, settings);
    await renderAsset(tx, asset.id, deps.urls, 'all');
    const job = await enqueueSync(tx, asset.id, { force: false, conditional: false, trigger });
    await recordAudit(tx, {
      actor: by.actor,
      action: created ? 'repo.register' : 'repo.update',
      target: `${asset.namespace}/${asset.name}`,
      requestId: by.requestId,
      detail: { ...settings, job: job.id },
    });
    return { asset, created, jobId: job.id };
  });
  await invalidateAsset(deps.cache, result.asset);
  return result;
}
