import fs from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { RegistryError, messageOf } from '../errors.js';
import type { Db } from './port.js';
import { PreparedStatements, pgliteQuery } from './pglite-query.js';
import { processAlive } from '../process-alive.js';

/**
 * PGlite keeps its files in one folder that only one process may open. The lock file holds the owner's
 * pid, so a second `bonsai registry ...` on the same DATA_DIR is refused instead of corrupting the data.
 */
export async function takeLock(lockFile: string, dataDir: string): Promise<void> {
  for (;;) {
    try {
      await fs.writeFile(lockFile, String(process.pid), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await fs.readFile(lockFile, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) {
      throw new RegistryError(
        'DATABASE_IN_USE',
        `the embedded database in ${dataDir} is open in process ${owner}${owner === process.pid ? ' (this one)' : ''}`,
        {
          hint: 'stop that process (bonsai registry serve?), use its HTTP API, or set DATABASE_URL to share a Postgres database',
        },
      );
    }
    // The owner died without cleaning up: the lock is stale.
    await fs.rm(lockFile, { force: true });
  }
}

/** Where the embedded database of `dataDir` keeps its files and its lock. */
export function pgliteFiles(dataDir: string): { dir: string; lockFile: string } {
  return { dir: path.join(dataDir, 'pglite'), lockFile: path.join(dataDir, 'pglite.lock') };
}

/** Takes the lock of `dataDir`'s embedded database (creating DATA_DIR when needed). */
export async function lockPglite(dataDir: string): Promise<{ dir: string; lockFile: string }> {
  const files = pgliteFiles(dataDir);
  await fs.mkdir(dataDir, { recursive: true });
  await takeLock(files.lockFile, dataDir);
  return files;
}

/** Starts PGlite on the files in `dir`, with the extensions the migrations use. */
export function createPglite(dir: string): Promise<PGlite> {
  // pg_trgm: the search index of migration 0011.
  return PGlite.create(dir, { extensions: { pg_trgm } });
}

/** WASI's numbers (PGlite's file system is Emscripten's) of the errors a wrong DATA_DIR gives. */
const WASI_ERRNO: Record<number, string> = {
  2: 'permission denied',
  20: 'file exists',
  29: 'input/output error',
  31: 'is a directory',
  44: 'no such file or directory',
  51: 'no space left on device',
  54: 'not a directory',
  55: 'directory not empty',
  63: 'operation not permitted',
  69: 'read-only file system',
};

/**
 * PGlite's file errors are Emscripten ErrnoError objects with no message (from its own thread: an Error
 * of that name): they are named by errno.
 */
function reasonOf(err: unknown): string {
  const { name, errno } = (err ?? {}) as { name?: unknown; errno?: unknown };
  if (typeof errno === 'number' && (!(err instanceof Error) || name === 'ErrnoError'))
    return WASI_ERRNO[errno] ?? `file system error ${errno}`;
  return messageOf(err);
}

/** PGlite could not start on `dir` (the lock is released by the caller). */
export function openFailed(dir: string, err: unknown): RegistryError {
  return new RegistryError(
    'DATABASE_FAILED',
    `cannot open the embedded database in ${dir}: ${reasonOf(err)}`,
    {
      hint: 'check that DATA_DIR is writable and was written by this version of the registry',
      cause: err,
    },
  );
}

/**
 * Opens (creating when needed) the embedded database under `dataDir/pglite`, on this thread: for short
 * CLI verbs and tests. `bonsai registry serve` runs it on a thread of its own (pglite-thread.ts).
 */
export async function openPglite(dataDir: string): Promise<Db> {
  const { dir, lockFile } = await lockPglite(dataDir);
  let pg: PGlite;
  try {
    pg = await createPglite(dir);
  } catch (err) {
    await fs.rm(lockFile, { force: true });
    throw openFailed(dir, err);
  }
  const statements = new PreparedStatements(pg);
  return {
    kind: 'pglite',
    description: `PGlite in ${dir}`,
    query: pgliteQuery(pg, statements),
    transaction: (fn) => pg.transaction((tx) => fn({ query: pgliteQuery(pg, statements, tx) })),
    async close() {
      if (!pg.closed) await pg.close();
      await fs.rm(lockFile, { force: true });
    },
  };
}
