import type { Queryable } from '../db/port.js';

/** Small registry-wide facts, e.g. the base URLs the stored renders were made with. */
export async function readState(q: Queryable, key: string): Promise<string | undefined> {
  const { rows } = await q.query<{ value: string }>('SELECT value FROM registry_state WHERE key = $1', [key]);
  return rows[0]?.value;
}

export async function writeState(q: Queryable, key: string, value: string): Promise<void> {
  await q.query(
    `INSERT INTO registry_state (key, value) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    [key, value],
  );
}

/** The state key of the base URLs the newest registry process started with (its render fingerprint). */
export const RENDER_URLS = 'render_urls';
