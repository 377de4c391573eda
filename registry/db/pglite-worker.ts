/**
 * The thread that owns the embedded database for pglite-thread.ts: PGlite (WASM) runs its statements
 * here, so a slow one holds this thread, not the server's event loop. Statements are handed to PGlite as
 * they arrive; PGlite runs them one at a time, and while a transaction is open the others wait for it,
 * exactly as on the main thread. Statements with parameters run prepared (pglite-prepared.ts): the
 * server sends the same few texts over and over, and planning them was most of a miss's cost.
 */
import { parentPort } from 'node:worker_threads';
import type { PGlite, Results, Transaction } from '@electric-sql/pglite';
import { createPglite, queryOn, resultOf } from './pglite.js';
import { PreparedStatements } from './pglite-prepared.js';
import type { QueryResult, SqlValue } from './port.js';
import { serializeDbError, type PgliteAnswer, type PgliteRequest } from './pglite-protocol.js';

const port = parentPort;
if (!port) throw new Error('pglite-worker.ts runs only as a worker thread');

let pg: PGlite | undefined;
let prepared: PreparedStatements | undefined;

interface OpenTransaction {
  tx: Transaction;
  /** Ends the transaction's callback: commit when it resolves, rollback when it rejects. */
  end(commit: boolean): void;
  /** Settles when PGlite has committed or rolled back. */
  ended: Promise<unknown>;
}
const transactions = new Map<number, OpenTransaction>();

/** Thrown inside PGlite's transaction callback to have it roll back; not reported as a failure. */
const ROLLBACK = Symbol('rollback');

port.on('message', (request: PgliteRequest) => {
  void handle(request)
    .then(
      (result): PgliteAnswer => ({ id: request.id, kind: 'done', ...(result ? { result } : {}) }),
      (err: unknown): PgliteAnswer => ({ id: request.id, kind: 'failed', error: serializeDbError(err) }),
    )
    .then((answer) => port.postMessage(answer));
});

async function handle(request: PgliteRequest): Promise<QueryResult<object> | void> {
  switch (request.kind) {
    case 'open':
      pg = await createPglite(request.dir);
      return;
    case 'query': {
      const target = request.tx === undefined ? database() : transactions.get(request.tx)?.tx;
      if (!target) throw new Error(`no open transaction ${request.tx}`);
      // Without parameters (DDL, migrations): as PGlite runs it.
      if (request.params.length === 0) return queryOn(target)(request.sql, request.params);
      return resultOf(await runPrepared(request.sql, request.params, request.tx !== undefined));
    }
    case 'begin':
      return begin(request.id);
    case 'end': {
      const open = transactions.get(request.tx);
      if (!open) throw new Error(`no open transaction ${request.tx}`);
      transactions.delete(request.tx);
      open.end(request.commit);
      await open.ended;
      return;
    }
    case 'close':
      if (pg && !pg.closed) await pg.close();
      return;
  }
}

/**
 * A statement with parameters, prepared once (pglite-prepared.ts), under the locks PGlite's query() takes:
 * outside a transaction it waits for the open one to end, and its writes reach the files after it.
 */
async function runPrepared(
  sql: string,
  params: readonly SqlValue[],
  inTransaction: boolean,
): Promise<Results> {
  const db = database();
  prepared ??= new PreparedStatements(db);
  const statements = prepared;
  const run = () => db._runExclusiveQuery(() => statements.query(sql, params, !inTransaction));
  if (inTransaction) return run();
  const result = await db._runExclusiveTransaction(run);
  await db.syncToFs();
  return result;
}

function database(): PGlite {
  if (!pg) throw new Error('the embedded database is not open');
  return pg;
}

/** Resolves once PGlite's transaction holds the database; the callback stays open until `end`. */
function begin(id: number): Promise<void> {
  return new Promise<void>((started, failed) => {
    let end!: (commit: boolean) => void;
    const ending = new Promise<boolean>((resolve) => (end = resolve));
    const ended = database()
      .transaction(async (tx) => {
        transactions.set(id, { tx, end, ended });
        started();
        if (!(await ending)) throw ROLLBACK;
      })
      .catch((err: unknown) => {
        if (err !== ROLLBACK) throw err;
      });
    // BEGIN itself failed: no callback ran.
    ended.catch(failed);
  });
}
