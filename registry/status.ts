import fs from 'node:fs/promises';
import path from 'node:path';
import { sortVersions, type Diagnostic } from '../bonsai-schema/index.js';
import type { RegistryConfig } from './config.js';
import { RegistryError } from './errors.js';
import { pendingMigrations, readMigrations } from './db/migrate.js';
import { openDb } from './db/open.js';
import type { Db, Queryable } from './db/port.js';
import { findAsset } from './store/assets.js';
import { recentIngestLog } from './store/ingest-log.js';
import { isServed, listVersions, type VersionRecord } from './store/versions.js';
import { jobCounts, recentJobs } from './jobs/queue.js';
import { allAssets } from './store/assets.js';

/**
 * `served`: the API lists it; `served-stale`: listed with its last good data while the newest attempt
 * failed; `failed`: never ingested successfully (not listed); `removed`: the release is gone from GitHub
 * (kept in the store, not listed); `pending`: seen, not yet ingested.
 */
export type VersionState = 'served' | 'served-stale' | 'failed' | 'removed' | 'pending';

export interface VersionStatus {
  version: string;
  /** Where its data came from: `github`, or `mirror <base-url>` when imported. */
  source: string;
  state: VersionState;
  commit: string | null;
  ingested_at: string | null;
  attempted_at: string | null;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

export interface AssetStatus {
  name: string;
  github_url: string;
  /** `github` (synced from its repository), or `mirror <base-url>` (loaded by bonsai registry import). */
  source: string;
  synced_at: string | null;
  versions: VersionStatus[];
  jobs: {
    id: number;
    state: string;
    trigger: string;
    attempts: number;
    last_error: string | null;
    created_at: string;
    finished_at: string | null;
  }[];
  log: {
    at: string;
    version: string | null;
    outcome: string;
    commit: string | null;
    message: string;
    diagnostics: Diagnostic[];
  }[];
}

export function versionState(v: VersionRecord): VersionState {
  if (v.removedAt !== null) return 'removed';
  if (isServed(v)) return v.attemptState === 'failed' ? 'served-stale' : 'served';
  return v.attemptState === 'failed' ? 'failed' : 'pending';
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Each version's state and errors, recent jobs and the ingest log of one asset (newest log first). */
export async function assetStatus(
  q: Queryable,
  namespace: string,
  name: string,
): Promise<AssetStatus | undefined> {
  const asset = await findAsset(q, namespace, name);
  if (!asset) return undefined;
  const versions = await listVersions(q, asset.id);
  const byTag = new Map(versions.map((v) => [v.tag, v]));
  const sorted = sortVersions(versions.map((v) => v.tag));
  const order = [...sorted, ...versions.map((v) => v.tag).filter((t) => !sorted.includes(t))];
  const source = asset.importedFrom === null ? 'github' : `mirror ${asset.importedFrom}`;
  return {
    name: `${asset.namespace}/${asset.name}`,
    github_url: asset.githubUrl,
    source,
    synced_at: iso(asset.syncedAt),
    versions: order.map((tag) => {
      const v = byTag.get(tag)!;
      return {
        version: tag,
        source,
        state: versionState(v),
        commit: v.commitSha ?? v.attemptCommit,
        ingested_at: iso(v.ingestedAt),
        attempted_at: iso(v.attemptedAt),
        errors: v.attemptErrors,
        warnings: v.attemptWarnings,
      };
    }),
    jobs: (await recentJobs(q, asset.id, 10)).map((j) => ({
      id: j.id,
      state: j.state,
      trigger: j.payload.trigger,
      attempts: j.attempts,
      last_error: j.lastError,
      created_at: j.createdAt.toISOString(),
      finished_at: iso(j.finishedAt),
    })),
    log: (await recentIngestLog(q, asset.id, 50)).map((e) => ({
      at: e.at.toISOString(),
      version: e.tag,
      outcome: e.outcome,
      commit: e.commitSha,
      message: e.message,
      diagnostics: e.diagnostics,
    })),
  };
}

/** `bonsai registry status` without an asset: every asset's counts and the job queue. */
export interface RegistryOverview {
  assets: { name: string; served: number; failed: number; removed: number; synced_at: string | null }[];
  jobs: Record<string, number>;
}

export async function registryOverview(q: Queryable): Promise<RegistryOverview> {
  const assets = [];
  for (const asset of await allAssets(q)) {
    const states = (await listVersions(q, asset.id)).map(versionState);
    assets.push({
      name: `${asset.namespace}/${asset.name}`,
      served: states.filter((s) => s === 'served' || s === 'served-stale').length,
      failed: states.filter((s) => s === 'failed' || s === 'served-stale').length,
      removed: states.filter((s) => s === 'removed').length,
      synced_at: asset.syncedAt?.toISOString() ?? null,
    });
  }
  return { assets, jobs: await jobCounts(q) };
}

/**
 * Read-only verbs open an existing embedded database, never create one: run in the wrong folder, they
 * say so (DATABASE_NOT_FOUND) instead of leaving a new empty database behind. Postgres databases are
 * never created by the registry, so only the embedded one is checked.
 */
export async function assertDatabaseExists(
  config: Pick<RegistryConfig, 'databaseUrl' | 'dataDir'>,
): Promise<void> {
  if (config.databaseUrl) return;
  const marker = path.join(config.dataDir, 'pglite', 'PG_VERSION');
  const found = await fs.stat(marker).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!found) {
    throw new RegistryError(
      'DATABASE_NOT_FOUND',
      `there is no registry database in ${config.dataDir} (embedded PGlite, DATABASE_URL unset); this command only reads, so it does not create one`,
    );
  }
}

/** Read-only verbs never change the schema: a database that needs migrations is refused instead. */
async function refuseUnmigrated(db: Db): Promise<void> {
  const pending = await pendingMigrations(db);
  if (pending.length === 0) return;
  if (pending.length === (await readMigrations()).length) {
    // Nothing was ever applied: no registry ran with these settings, which is not a migration problem.
    throw new RegistryError(
      'DATABASE_NOT_MIGRATED',
      `no registry has run on ${db.description}: it holds no registry data`,
      {
        hint: 'point DATA_DIR (or DATABASE_URL) at the data of the registry to inspect, or start one here: bonsai registry serve',
      },
    );
  }
  throw new RegistryError(
    'DATABASE_NOT_MIGRATED',
    `the database (${db.description}) is missing migrations ${pending.join(', ')}; this command only reads, so it does not apply them`,
    { hint: 'run bonsai registry migrate (serve also migrates at start), then run this command again' },
  );
}

/**
 * The database a read-only verb reads its status from: it must exist (assertDatabaseExists) and be
 * migrated. It is closed after `fn`, whatever happens.
 */
export async function withStatusDb<T>(
  config: Pick<RegistryConfig, 'databaseUrl' | 'dataDir'>,
  fn: (db: Db) => Promise<T>,
): Promise<T> {
  await assertDatabaseExists(config);
  const db = await openDb(config, () => undefined);
  try {
    await refuseUnmigrated(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}
