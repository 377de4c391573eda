import type { Queryable } from '../db/port.js';

/** One write: who (`ADMIN_TOKEN`, `token:NAME`, `cli:USER`, `webhook`), what, on what, under which request. */
export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  requestId?: string | undefined;
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  at: Date;
  requestId: string | undefined;
  detail: Record<string, unknown>;
}

export async function recordAudit(q: Queryable, entry: AuditEntry): Promise<void> {
  await q.query(
    'INSERT INTO audit_log (actor, action, target, request_id, detail) VALUES ($1, $2, $3, $4, $5::json)',
    [entry.actor, entry.action, entry.target, entry.requestId ?? null, JSON.stringify(entry.detail ?? {})],
  );
}

/** The newest `limit` rows, oldest first (as a log reads). */
export async function recentAudit(q: Queryable, limit: number): Promise<AuditRecord[]> {
  const { rows } = await q.query<{
    id: number;
    at: Date;
    actor: string;
    action: string;
    target: string;
    request_id: string | null;
    detail: Record<string, unknown>;
  }>(
    `SELECT * FROM (SELECT id, at, actor, action, target, request_id, detail FROM audit_log
       ORDER BY id DESC LIMIT $1) recent ORDER BY id`,
    [limit],
  );
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    requestId: r.request_id ?? undefined,
    detail: r.detail,
  }));
}
