/**
 * A worker thread of ArchiveWorkers: writes the archives it is sent, one at a time, with the same
 * writeTarGz as the serial path (so the bytes are the same whichever thread writes them).
 */
import { parentPort } from 'node:worker_threads';
import { writeTarGz } from '../archive/writer.js';
import { serializeError, type ArchiveJob, type ArchiveJobMessage } from './worker-protocol.js';

/** Progress is posted every this many bytes read, not per chunk: a message costs more than a callback. */
const PROGRESS_STEP = 4 << 20;

const port = parentPort;
if (!port) throw new Error('archive-worker.ts runs only as a worker thread');

port.on('message', (job: ArchiveJob) => {
  void write(job).then((message) => port.postMessage(message));
});

async function write(job: ArchiveJob): Promise<ArchiveJobMessage> {
  let total = 0;
  let posted = 0;
  try {
    const written = await writeTarGz(job.entries, job.destination, {
      mtime: job.mtime,
      onBytesRead: (bytes) => {
        total = bytes;
        if (total - posted < PROGRESS_STEP) return;
        posted = total;
        port!.postMessage({ id: job.id, kind: 'read', total } satisfies ArchiveJobMessage);
      },
    });
    return { id: job.id, kind: 'done', total, ...written };
  } catch (err) {
    return { id: job.id, kind: 'failed', error: serializeError(err) };
  }
}
