import type { RegistryConfig } from '../config.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';
import type { Db } from './port.js';

/** Chooses the adapter from the settings: Postgres when DATABASE_URL is set, else embedded PGlite. */
export function openDb(
  config: Pick<RegistryConfig, 'databaseUrl' | 'dataDir'>,
  onError: (err: Error) => void,
): Promise<Db> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, onError) : openPglite(config.dataDir);
}
