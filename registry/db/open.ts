import type { RegistryConfig } from '../config.js';
import { openPglite } from './pglite.js';
import { openPgliteThread } from './pglite-thread.js';
import { openPostgres } from './postgres.js';
import type { Db } from './port.js';

export interface OpenDbOptions {
  /**
   * Run embedded PGlite on a thread of its own (pglite-thread.ts), for the server: its statements then
   * never hold the event loop that answers cached requests. Short verbs keep it on their own thread,
   * which starts faster.
   */
  pgliteThread?: 'own' | 'caller';
}

/** Chooses the adapter from the settings: Postgres when DATABASE_URL is set, else embedded PGlite. */
export function openDb(
  config: Pick<RegistryConfig, 'databaseUrl' | 'dataDir'>,
  onError: (err: Error) => void,
  options: OpenDbOptions = {},
): Promise<Db> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, onError);
  return options.pgliteThread === 'own' ? openPgliteThread(config.dataDir) : openPglite(config.dataDir);
}
