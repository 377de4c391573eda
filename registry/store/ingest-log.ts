import type { Diagnostic } from '../../bonsai-schema/diagnostics.js';
import type { Queryable } from '../db/port.js';

/**
 * What happened to one tag in one sync: `ingested` (new or changed data now served), `failed` (errors,
 * last good data kept), `removed` (release deleted on GitHub), `restored` (release back, same content).
 */
export type IngestOutcome = 'ingested' | 'failed' | 'removed' | 'restored' | 'imported';

export interface IngestLogEntry {
  id: number;
  tag: string | null;
  jobId: number | null;
  outcome: IngestOutcome;
  commitSha: string | null;
  message: string;
  diagnostics: Diagnostic[];
  at: Date;
}

export async function appendIngestLog(
  q: Queryable,
  assetId: number,
  entry: Omit<IngestLogEntry, 'id' | 'at'>,
): Promise<void> {
  await q.query(
    `INSERT INTO ingest_log (asset_id, tag, job_id, outcome, commit_sha, message, diagnostics)
     VALUES ($1, $2, $3, $4, $5, $6, $7::json)`,
    [
      assetId,
      entry.tag,
      entry.jobId,
      entry.outcome,
      entry.commitSha,
      entry.message,
      JSON.stringify(entry.diagnostics),
    ],
  );
}

/** The newest entries first. */
export async function recentIngestLog(
  q: Queryable,
  assetId: number,
  limit: number,
): Promise<IngestLogEntry[]> {
  const { rows } = await q.query<{
    id: number;
    tag: string | null;
    job_id: number | null;
    outcome: IngestOutcome;
    commit_sha: string | null;
    message: string;
    diagnostics: Diagnostic[];
    at: Date;
  }>(
    `SELECT id, tag, job_id, outcome, commit_sha, message, diagnostics, at FROM ingest_log
     WHERE asset_id = $1 ORDER BY id DESC LIMIT $2`,
    [assetId, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    tag: r.tag,
    jobId: r.job_id,
    outcome: r.outcome,
    commitSha: r.commit_sha,
    message: r.message,
    diagnostics: r.diagnostics,
    at: r.at,
  }));
}
