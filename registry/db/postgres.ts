import pg from 'pg';
import { redactUrl } from '../config.js';
import { RegistryError, messageOf } from '../errors.js';
import type { Db, QueryResult, Queryable, SqlValue } from './port.js';

interface PgLike {
  query(sql: string, params: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

function queryOn(target: PgLike): Queryable['query'] {
  return async <T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<QueryResult<T>> => {
    const result = await target.query(sql, [...params]);
    return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
  };
}

/** Connects a pool to DATABASE_URL and checks it answers before the registry starts (fail fast). */
export async function openPostgres(url: string, onError: (err: Error) => void): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', onError);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new RegistryError(
      'DATABASE_FAILED',
      `cannot connect to DATABASE_URL ${redactUrl(url)}: ${messageOf(err)}`,
      {
        hint: 'check that PostgreSQL is running and that the URL, user and database are right',
        cause: err,
      },
    );
  }
  return {
    kind: 'postgres',
    description: `PostgreSQL at ${redactUrl(url)}`,
    query: queryOn(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({ query: queryOn(client) });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
