import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { migrate } from '../../../registry/db/migrate.js';
import { openPglite } from '../../../registry/db/pglite.js';
import type { Db } from '../../../registry/db/port.js';
import { openPostgres } from '../../../registry/db/postgres.js';
import { createTestDatabase } from './postgres.js';

export type DbKind = 'pglite' | 'postgres';

/** Both adapters: the store suite runs once on each (DESIGN: the same SQL on PGlite and Postgres). */
export const DB_KINDS: readonly DbKind[] = ['pglite', 'postgres'];

export interface TestDb {
  db: Db;
  /** Opens another handle on the same database (Postgres only: PGlite is one process, one handle). */
  reopen(): Promise<Db>;
  /** A DATABASE_URL for the Postgres kind, a DATA_DIR for PGlite. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export async function makeTempDir(prefix = 'bonsai-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A new, empty, migrated database of the given kind. */
export async function openTestDb(kind: DbKind): Promise<TestDb> {
  if (kind === 'pglite') {
    const dir = await makeTempDir();
    const db = await openPglite(dir);
    await migrate(db);
    return {
      db,
      reopen: () => Promise.reject(new Error('PGlite has one handle per process')),
      env: { DATA_DIR: dir },
      async cleanup() {
        await db.close();
        await fs.rm(dir, { recursive: true, force: true });
      },
    };
  }
  const database = await createTestDatabase();
  const handles: Db[] = [];
  const open = async () => {
    const db = await openPostgres(database.url, () => undefined);
    handles.push(db);
    return db;
  };
  const db = await open();
  await migrate(db);
  return {
    db,
    reopen: open,
    env: { DATABASE_URL: database.url },
    async cleanup() {
      for (const h of handles) await h.close().catch(() => undefined);
      await database.drop();
    },
  };
}
