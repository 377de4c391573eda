import { createHash } from 'node:crypto';
import pg from 'pg';
import { redactUrl } from '../config.js';
import { RegistryError, messageOf } from '../errors.js';
import type { Db, QueryResult, Queryable, SqlValue } from './port.js';
import { isConnectionFailure } from './sql-errors.js';

interface PgLike {
  query(query: pg.QueryConfig): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/**
 * Statements with parameters run as named prepared statements: each connection parses and plans a text
 * once, then only binds and executes it (the store's queries are a fixed set of texts). Without
 * parameters (migrations, DDL) a text runs as it is.
 */
const statementNames = new Map<string, string | undefined>();
/** Bounds the statements each connection keeps prepared, should some text be made up per call. */
const MAX_PREPARED = 500;

function statementName(sql: string): string | undefined {
  if (statementNames.has(sql)) return statementNames.get(sql);
  const name =
    statementNames.size < MAX_PREPARED
      ? `s${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`
      : undefined;
  statementNames.set(sql, name);
  return name;
}

/**
 * A prepared statement whose result columns changed under it (another process migrated the database):
 * Postgres refuses to run it. Such a text runs unprepared from then on.
 */
function planChanged(err: unknown): boolean {
  return (err as { code?: unknown }).code === '0A000' && /cached plan/.test(messageOf(err));
}

function preparedQuery(sql: string, params: readonly SqlValue[]): pg.QueryConfig {
  const name = params.length > 0 ? statementName(sql) : undefined;
  return name === undefined ? { text: sql, values: [...params] } : { name, text: sql, values: [...params] };
}

/** A lost or refused connection becomes DATABASE_FAILED (503, exit 3); other errors pass unchanged. */
function databaseFailure(err: unknown): unknown {
  if (!isConnectionFailure(err)) return err;
  return new RegistryError('DATABASE_FAILED', `the database connection failed: ${messageOf(err)}`, {
    hint: 'check that PostgreSQL is running and reachable at DATABASE_URL; the registry reconnects by itself',
    cause: err,
  });
}

function queryOn(target: PgLike): Queryable['query'] {
  return async <T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<QueryResult<T>> => {
    try {
      const result = await target.query(preparedQuery(sql, params)).catch((err: unknown) => {
        if (!planChanged(err)) throw err;
        statementNames.set(sql, undefined);
        return target.query({ text: sql, values: [...params] });
      });
      return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
    } catch (err) {
      throw databaseFailure(err);
    }
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
      const client = await pool.connect().catch((err: unknown) => {
        throw databaseFailure(err);
      });
      const query = queryOn(client);
      // A client that lost its connection, or whose ROLLBACK failed, may be dead or mid-transaction: the
      // pool must not hand it out again.
      let broken: Error | undefined;
      // While checked out the pool does not listen to the client: unheard, a lost connection would crash.
      const lost = (err: Error) => {
        broken = err;
        onError(err);
      };
      client.on('error', lost);
      try {
        await query('BEGIN');
        const result = await fn({ query });
        await query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackFailed: Error) => (broken = rollbackFailed));
        throw err;
      } finally {
        client.off('error', lost);
        client.release(broken);
      }
    },
    listen: (channel, handler) => listen(url, channel, handler, onError),
    close: () => pool.end(),
  };
}

/** How long a listener waits before reconnecting after its connection dropped. */
const RELISTEN_MS = 1_000;

/**
 * LISTEN on a connection of its own (a pooled one would be handed to other queries). When the connection
 * drops, it tells the handler (`null`) that notifications may be missed, reconnects, and tells it again.
 */
async function listen(
  url: string,
  channel: string,
  handler: (payload: string | null) => void,
  onError: (err: Error) => void,
): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  let client: pg.Client | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const connect = async () => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => {
      if (message.channel === channel) handler(message.payload ?? '');
    });
    next.on('error', (err) => {
      onError(err);
      retry();
    });
    await next.connect();
    await next.query(`LISTEN ${channel}`);
    client = next;
  };
  const retry = () => {
    if (stopped || timer) return;
    // Notifications sent from now until a new connection listens are missed.
    if (client) handler(null);
    void client?.end().catch(() => undefined);
    client = undefined;
    timer = setTimeout(() => {
      timer = undefined;
      connect().then(
        () => handler(null),
        (err: Error) => {
          onError(err);
          retry();
        },
      );
    }, RELISTEN_MS);
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await client?.end().catch(() => undefined);
  };
}
