import { Worker } from 'node:worker_threads';
import type { TreeEntry } from '../archive/tree.js';
import type { ArchiveWriteOptions, WrittenArchive } from '../archive/writer.js';
import { deserializeError, type ArchiveJob, type ArchiveJobMessage } from './worker-protocol.js';

/**
 * Worker threads that write archives, at most `size` at once, each on its own thread (its own event
 * loop for tar framing, streams and hashing; zlib runs on the thread pool either way). Workers start
 * on demand and serve one archive at a time; close() ends them.
 */
export class ArchiveWorkers {
  private readonly idle: Worker[] = [];
  private readonly waiting: ((worker: Worker) => void)[] = [];
  private readonly all = new Set<Worker>();
  private readonly deaths = new WeakMap<Worker, Error>();
  private nextId = 0;

  constructor(private readonly size: number) {}

  async write(
    entries: readonly TreeEntry[],
    destination: string,
    options: ArchiveWriteOptions,
  ): Promise<WrittenArchive> {
    const worker = await this.acquire();
    const id = this.nextId++;
    try {
      return await new Promise<WrittenArchive>((resolve, reject) => {
        const onMessage = (message: ArchiveJobMessage) => {
          if (message.id !== id) return;
          if (message.kind === 'read') return options.onBytesRead?.(message.total);
          worker.off('message', onMessage);
          worker.off('exit', onExit);
          if (message.kind === 'failed') return reject(deserializeError(message.error));
          options.onBytesRead?.(message.total);
          resolve({ size: message.size, sha512: message.sha512 });
        };
        // A worker that dies (it could not load, it ran out of memory) fails its archive.
        const onExit = () => {
          worker.off('message', onMessage);
          reject(this.deaths.get(worker) ?? new Error('the archive worker stopped'));
        };
        worker.on('message', onMessage);
        worker.once('exit', onExit);
        worker.postMessage({ id, entries, destination, mtime: options.mtime } satisfies ArchiveJob);
      });
    } finally {
      this.release(worker);
    }
  }

  /** Ends every worker (those still writing are stopped: call it once no write is pending). */
  async close(): Promise<void> {
    const workers = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private acquire(): Promise<Worker> {
    const worker = this.idle.pop();
    if (worker) return Promise.resolve(worker);
    if (this.all.size < this.size) return Promise.resolve(this.start());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(worker: Worker): void {
    if (!this.all.has(worker)) return;
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }

  private start(): Worker {
    const worker = startWorker();
    this.all.add(worker);
    // An uncaught error ends the worker ('exit' follows): its archive fails with that error.
    worker.on('error', (err) => this.deaths.set(worker, err));
    worker.once('exit', () => {
      if (!this.all.delete(worker)) return;
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      // Whoever waits for a worker gets a fresh one.
      const next = this.waiting.shift();
      if (next) next(this.start());
    });
    return worker;
  }
}

/**
 * Loads the worker module beside this one: compiled, archive-worker.js; from the sources (tests,
 * `npm run bonsai`, bin/bonsai.js without dist/), archive-worker.ts through tsx, since a worker thread
 * does not inherit the loader hooks the main thread registered.
 */
function startWorker(): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(`./archive-worker.${fromSources ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSources) return new Worker(entry);
  // The ESM build of tsx's API: on Node 20, `tsx/esm` registers nothing in a worker thread.
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(TS_BOOTSTRAP, { eval: true, workerData: { entry: entry.href, tsx } });
}

const TS_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.tsx)
  .then((tsx) => tsx.register())
  .then(() => import(workerData.entry));
`;
