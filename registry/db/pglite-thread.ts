import fs from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import { startWorkerBeside } from '../../common/worker-thread.js';
import { RegistryError, messageOf } from '../errors.js';
import { lockPglite, openFailed } from './pglite.js';
import { deserializeDbError, type PgliteAnswer, type PgliteRequest } from './pglite-protocol.js';
import type { Db, QueryResult, Queryable, SqlValue } from './port.js';

export interface PgliteThreadOptions {
  /** Called with the database's thread once it started (tests stop it to see what a crash does). */
  onStart?: (worker: Worker) => void;
}

/**
 * Opens the embedded database under `dataDir/pglite` on a thread of its own (pglite-worker.ts), for
 * `bonsai registry serve`: PGlite is WebAssembly and holds the thread it runs on for the whole of a
 * statement, so on the server's thread one slow miss would stall every cached answer behind it. The lock
 * file and the errors are those of openPglite; this thread only passes messages.
 */
export async function openPgliteThread(dataDir: string, options: PgliteThreadOptions = {}): Promise<Db> {
  const { dir, lockFile } = await lockPglite(dataDir);
  let started: PgliteThread | undefined;
  try {
    started = new PgliteThread(startWorkerBeside(import.meta.url, 'pglite-worker'), dir);
    options.onStart?.(started.worker);
    await started.request({ kind: 'open', dir });
  } catch (err) {
    await started?.stop();
    await fs.rm(lockFile, { force: true });
    throw openFailed(dir, err);
  }
  const thread = started;
  const on =
    (tx?: number): Queryable['query'] =>
    <T extends object>(sql: string, params: readonly SqlValue[] = []) =>
      thread.request<QueryResult<T>>({ kind: 'query', sql, params, ...(tx === undefined ? {} : { tx }) });
  return {
    kind: 'pglite',
    description: `PGlite in ${dir}`,
    query: on(),
    async transaction(fn) {
      const tx = await thread.begin();
      let result;
      try {
        result = await fn({ query: on(tx) });
      } catch (err) {
        // The callback's error is the one to report; a failed ROLLBACK (the thread died) adds nothing.
        await thread.request({ kind: 'end', tx, commit: false }).catch(() => undefined);
        throw err;
      }
      await thread.request({ kind: 'end', tx, commit: true });
      return result;
    },
    async close() {
      await thread.stop();
      await fs.rm(lockFile, { force: true });
    },
  };
}

type Pending = { resolve(value: unknown): void; reject(err: Error): void };

/** Requests to the database's thread, each answered by id; a thread that ends fails every one pending. */
class PgliteThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Set once the thread is gone: every later request fails with it. */
  private gone: Error | undefined;
  private closing = false;
  private death: Error | undefined;

  constructor(
    readonly worker: Worker,
    private readonly dir: string,
  ) {
    // Idle, the thread does not keep the process alive (an in-thread PGlite does not either).
    worker.unref();
    worker.on('message', (answer: PgliteAnswer) => this.answer(answer));
    // An uncaught error ends the thread ('exit' follows): it is the reason given.
    worker.on('error', (err) => (this.death = err));
    worker.once('exit', (exitCode) => {
      const reason = this.death ? messageOf(this.death) : `its thread exited with code ${exitCode}`;
      this.end(
        this.closing
          ? new RegistryError('DATABASE_FAILED', `the embedded database in ${this.dir} is closed`)
          : new RegistryError('DATABASE_FAILED', `the embedded database in ${this.dir} stopped: ${reason}`, {
              hint: 'restart the registry; if it happens again, report it with the log',
              ...(this.death ? { cause: this.death } : {}),
            }),
      );
    });
  }

  request<T>(request: DistributiveOmit<PgliteRequest, 'id'>): Promise<T> {
    return this.send(this.nextId++, request);
  }

  /** Opens a transaction; its id (the `begin` request's) goes with each of its statements. */
  async begin(): Promise<number> {
    const id = this.nextId++;
    await this.send(id, { kind: 'begin' });
    return id;
  }

  private send<T>(id: number, request: DistributiveOmit<PgliteRequest, 'id'>): Promise<T> {
    if (this.gone) return Promise.reject(this.gone);
    return new Promise<T>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as Pending['resolve'], reject });
      this.worker.postMessage({ ...request, id } as PgliteRequest);
    });
  }

  /** Closes PGlite (its last writes reach the disk) and ends the thread. */
  async stop(): Promise<void> {
    if (this.gone) return;
    await this.request({ kind: 'close' }).catch(() => undefined);
    this.closing = true;
    await this.worker.terminate();
  }

  private answer(answer: PgliteAnswer): void {
    const waiting = this.pending.get(answer.id);
    if (!waiting) return;
    this.pending.delete(answer.id);
    if (this.pending.size === 0) this.worker.unref();
    if (answer.kind === 'failed') waiting.reject(deserializeDbError(answer.error));
    else waiting.resolve(answer.result);
  }

  private end(reason: Error): void {
    this.gone = reason;
    for (const waiting of this.pending.values()) waiting.reject(reason);
    this.pending.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
