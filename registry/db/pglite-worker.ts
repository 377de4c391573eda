/**
 * The thread that owns the embedded database for pglite-thread.ts: PGlite (WASM) runs its statements
 * here, so a slow one holds this thread, not the server's event loop. Statements are handed to PGlite as
 * they arrive; PGlite runs them one at a time, and while a transaction is open the others wait for it,
 * exactly as on the main thread. Statements run as openPglite runs them (pglite-query.ts).
 */
import { parentPort } from 'node:worker_threads';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { createPglite } from './pglite.js';
import { PreparedStatements, pgliteQuery } from './pglite-query.js';
import type { QueryResult } from './port.js';
import { serializeDbError, type PgliteAnswer, type PgliteRequest } from './pglite-protocol.js';

const port = parentPort;
if (!port) throw new Error('pglite-worker.ts runs only as a worker thread');

let open: { pg: PGlite; statements: PreparedStatements } | undefined;

interface OpenTransaction {
  tx: Transaction;
  /** Ends the transaction's callback: commit when it resolves, rollback when it rejects. */
  end(commit: boolean): void;
  /** Settles when PGlite has committed or rolled back. */
  ended: Promise<unknown>;
}
const transactions = new Map<number, OpenTransaction>();

/** PGlite's message for a statement on a transaction that ended. */
const CLOSED = 'Transaction is closed';

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
    case 'open': {
      const pg = await createPglite(request.dir);
      open = { pg, statements: new PreparedStatements(pg) };
      return;
    }
    case 'query': {
      const { pg, statements } = database();
      if (request.tx === undefined) return pgliteQuery(pg, statements)(request.sql, request.params);
      const transaction = transactions.get(request.tx);
      if (!transaction) throw new Error(CLOSED);
      return pgliteQuery(pg, statements, transaction.tx)(request.sql, request.params);
    }
    case 'begin':
      return begin(request.id);
    case 'end': {
      const transaction = transactions.get(request.tx);
      if (!transaction) throw new Error(CLOSED);
      transactions.delete(request.tx);
      transaction.end(request.commit);
      await transaction.ended;
      return;
    }
    case 'close':
      if (open && !open.pg.closed) await open.pg.close();
      return;
  }
}

function database(): NonNullable<typeof open> {
  if (!open) throw new Error('the embedded database is not open');
  return open;
}

/** Resolves once PGlite's transaction holds the database; the callback stays open until `end`. */
function begin(id: number): Promise<void> {
  return new Promise<void>((started, failed) => {
    let end!: (commit: boolean) => void;
    const ending = new Promise<boolean>((resolve) => (end = resolve));
    const ended = database()
      .pg.transaction(async (tx) => {
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
