import type { Io } from '../../common/io.js';
import { migrate } from '../db/migrate.js';
import { openDb } from '../db/open.js';
import type { Db } from '../db/port.js';
import { configFrom, type VerbOptions } from './options.js';

/** Opens the registry's database (migrated) for one store command, and closes it whatever happens. */
export async function withMigratedDb<T>(
  io: Io,
  options: VerbOptions,
  fn: (db: Db) => Promise<T>,
): Promise<T> {
  const db = await openDb(configFrom(io, options), () => undefined);
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}
