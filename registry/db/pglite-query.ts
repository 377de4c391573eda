import { parse, protocol, type PGlite, type Results, type Transaction } from '@electric-sql/pglite';
import type { QueryResult, Queryable, SqlValue } from './port.js';

const { serialize } = protocol;

/** A table the prepared statement reads changed its columns since it was planned. */
function isStalePlan(err: unknown): boolean {
  const { code, message } = err as { code?: unknown; message?: unknown };
  return (
    code === '0A000' &&
    typeof message === 'string' &&
    message.includes('cached plan must not change result type')
  );
}

interface Statement {
  name: string;
  /** The parameters' type OIDs, which choose PGlite's serializer for each value (Date, JSON...). */
  types: number[];
}

/**
 * The port's `query` on PGlite, or on its transaction `tx`: statements with parameters run prepared
 * (PreparedStatements), under the locks PGlite's own query() takes: outside a transaction a statement
 * waits for the open one to end, and its writes are synced to the files after it. Statements without
 * parameters (DDL, migrations) run as PGlite runs them.
 */
export function pgliteQuery(
  pg: PGlite,
  statements: PreparedStatements,
  tx?: Transaction,
): Queryable['query'] {
  return async <T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<QueryResult<T>> => {
    if (params.length === 0) return resultOf<T>(await (tx ?? pg).query<T>(sql));
    // PGlite's message for a transaction used after it ended.
    if (tx?.closed) throw new Error('Transaction is closed');
    const run = () => pg._runExclusiveQuery(() => statements.query(sql, params, !tx));
    if (tx) return resultOf<T>(await run());
    const result = await pg._runExclusiveTransaction(run);
    await pg.syncToFs();
    return resultOf<T>(result);
  };
}

/** PGlite's result as the port's: rowCount from the command tag, else what it counted. */
function resultOf<T>(
  result: Pick<Results, 'affectedRows'> & { rows: unknown[]; rowCount?: number },
): QueryResult<T> {
  return {
    rows: result.rows as T[],
    rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length,
  };
}

/**
 * Runs statements with parameters as named prepared statements. PGlite's query()
 * parses, describes and plans the text on every call, in six calls into WebAssembly; here Postgres
 * plans each text once and a call is one message (bind, describe, execute, sync): the registry's miss
 * query takes 150 µs instead of 550. Results and errors are PGlite's own (the same parser, the same
 * serializers); the caller holds PGlite's locks (pgliteQuery). At most `limit` texts stay
 * prepared (the least recently used is closed).
 */
export class PreparedStatements {
  private readonly statements = new Map<string, Statement>();
  private nextName = 0;

  constructor(
    private readonly pg: PGlite,
    private readonly limit = 200,
  ) {}

  /**
   * Runs `sql`. Outside a transaction (`retry`), a text whose plan no longer fits the tables (a column
   * changed since it was prepared) is prepared again and run once more, as an unprepared query would
   * just have worked; inside one, the error has already aborted the transaction.
   */
  async query(sql: string, params: readonly unknown[], retry: boolean): Promise<Results> {
    try {
      return await this.run(sql, params);
    } catch (err) {
      if (!isStalePlan(err)) throw err;
      await this.close(sql);
      if (!retry) throw err;
      return this.run(sql, params);
    }
  }

  private async run(sql: string, params: readonly unknown[]): Promise<Results> {
    const statement = this.statements.get(sql) ?? (await this.prepare(sql));
    // Most recently used last: the first entry is the one to close.
    this.statements.delete(sql);
    this.statements.set(sql, statement);
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      const serializer = this.pg.serializers[statement.types[i]!];
      return serializer ? serializer(value) : String(value);
    });
    const { messages } = await this.pg.execProtocol(
      join([
        serialize.bind({ statement: statement.name, values }),
        serialize.describe({ type: 'P' }),
        serialize.execute({}),
        serialize.sync(),
      ]),
      { syncToFs: false },
    );
    return parse.parseResults(messages, this.pg.parsers)[0]!;
  }

  private async prepare(sql: string): Promise<Statement> {
    const oldest = this.statements.keys().next();
    if (this.statements.size >= this.limit && !oldest.done) await this.close(oldest.value);
    const name = `bonsai_${this.nextName++}`;
    const { messages } = await this.pg.execProtocol(
      join([serialize.parse({ name, text: sql }), serialize.describe({ type: 'S', name }), serialize.sync()]),
      { syncToFs: false },
    );
    return { name, types: parse.parseDescribeStatementResults(messages) };
  }

  private async close(sql: string): Promise<void> {
    const statement = this.statements.get(sql);
    if (!statement) return;
    this.statements.delete(sql);
    await this.pg.execProtocol(
      join([serialize.close({ type: 'S', name: statement.name }), serialize.sync()]),
      {
        syncToFs: false,
      },
    );
  }
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
