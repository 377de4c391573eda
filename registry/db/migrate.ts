import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Db, Queryable } from './port.js';

/** The SQL files shipped beside this module, applied in name order (`0001_init.sql`, ...). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface Migration {
  name: string;
  sql: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  return Promise.all(names.map(async (name) => ({ name, sql: await fs.readFile(`${dir}/${name}`, 'utf8') })));
}

/**
 * Applies the migrations not yet applied, all in one transaction. The advisory lock makes concurrent
 * starts of several registry processes on one Postgres wait for each other instead of racing (PGlite has
 * one process, where the lock is a no-op). Returns the names applied now.
 */
export async function migrate(db: Db, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await readMigrations());
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('bonsai-registry-migrations'))");
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         name TEXT PRIMARY KEY,
         applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
       )`,
    );
    const done = new Set(
      (await tx.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name),
    );
    const applied: string[] = [];
    for (const m of all) {
      if (done.has(m.name)) continue;
      await runScript(tx, m.sql);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [m.name]);
      applied.push(m.name);
    }
    return applied;
  });
}

/** The names of the migrations not applied to this database yet (all on an empty one). Changes nothing. */
export async function pendingMigrations(q: Queryable, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await readMigrations());
  const table = await q.query<{ name: string | null }>(
    "SELECT to_regclass('schema_migrations')::text AS name",
  );
  if (!table.rows[0]?.name) return all.map((m) => m.name);
  const { rows } = await q.query<{ name: string }>('SELECT name FROM schema_migrations');
  const done = new Set(rows.map((r) => r.name));
  return all.filter((m) => !done.has(m.name)).map((m) => m.name);
}

/** Runs a script statement by statement (extended-protocol queries take one statement each). */
async function runScript(tx: { query(sql: string): Promise<unknown> }, sql: string): Promise<void> {
  for (const statement of splitStatements(sql)) await tx.query(statement);
}

/** Splits on `;` at line ends, dropping `--` comment lines. Our migrations keep to that shape. */
export function splitStatements(sql: string): string[] {
  const lines = sql.split('\n').filter((l) => !l.trim().startsWith('--'));
  return lines
    .join('\n')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
