import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { waitFor } from './wait.js';

/** The local server every test database is created on (trust auth, see PREAMBLE/README). */
export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh database with a random name, so parallel test files never share rows. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `bonsai_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Resolves once `statement` has answered or a session of the database behind `q` waits for a lock: a
 * statement racing another transaction has then decided whether it must wait for it.
 */
export async function answeredOrWaiting(
  statement: Promise<unknown>,
  q: { query<T extends object>(sql: string): Promise<{ rows: T[] }> },
): Promise<void> {
  let answered = false;
  statement.then(
    () => (answered = true),
    () => (answered = true),
  );
  await waitFor('the statement to answer or to wait for a lock', async () => {
    if (answered) return true;
    // Inside a transaction, pg_stat_activity keeps the snapshot of its first read unless cleared.
    await q.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await q.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    return rows[0]!.n > 0;
  });
}
