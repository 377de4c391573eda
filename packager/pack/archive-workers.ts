import type { Worker } from 'node:worker_threads';
import { startWorkerBeside } from '../../common/worker-thread.js';
import type { TreeEntry } from '../archive/tree.js';
import type { ArchiveWriteOptions, WrittenArchive } from '../archive/writer.js';
import { deserializeError, type ArchiveJob, type ArchiveJobMessage } from './worker-protocol.js';

/**
 * Worker threads that write archives, each on its own thread (its own event loop for tar framing,
 * streams and hashing; zlib runs on the thread pool either way). A worker serves one archive at a time;
 * one is started whenever none is idle, so the caller bounds how many run by how many archives it
 * writes at once (pack's runLimited). close() ends them.
 */
export class ArchiveWorkers {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly deaths = new WeakMap<Worker, Error>();
  private nextId = 0;

  async write(
    entries: readonly TreeEntry[],
    destination: string,
    options: ArchiveWriteOptions,
  ): Promise<WrittenArchive> {
    const worker = this.idle.pop() ?? this.start();
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
      // A worker that died is not handed out again.
      if (this.all.has(worker)) this.idle.push(worker);
    }
  }

  /** Ends every worker (those still writing are stopped: call it once no write is pending). */
  async close(): Promise<void> {
    const workers = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private start(): Worker {
    const worker = startWorker();
    this.all.add(worker);
    // An uncaught error ends the worker ('exit' follows): its archive fails with that error.
    worker.on('error', (err) => this.deaths.set(worker, err));
    worker.once('exit', () => {
      this.all.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
    });
    return worker;
  }
}

/** Loads archive-worker beside this module (archive-worker.ts from the sources, .js compiled). */
function startWorker(): Worker {
  return startWorkerBeside(import.meta.url, 'archive-worker');
}
