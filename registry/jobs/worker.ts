import type { Logger } from 'pino';
import type { Db } from '../db/port.js';
import { messageOf } from '../errors.js';
import { holdLease } from './lease.js';
import { claimJob, completeJob, failJob, releaseRunningJobs, type JobRecord } from './queue.js';

export interface WorkerOptions {
  db: Db;
  /** Names this worker in the job table (`locked_by`): host, pid and a random part. */
  id: string;
  leaseMs: number;
  maxAttempts: number;
  /** First retry delay; doubled per attempt, capped at an hour. */
  backoffMs: number;
  /** How often an idle worker looks for jobs enqueued by other processes. */
  idleMs: number;
  logger: Logger;
  handle(job: JobRecord): Promise<unknown>;
}

const MAX_BACKOFF_MS = 60 * 60 * 1000;

export function backoffDelay(baseMs: number, attempt: number): number {
  return Math.min(baseMs * 2 ** Math.max(attempt - 1, 0), MAX_BACKOFF_MS);
}

/**
 * Runs jobs from the durable table one at a time. A claimed job holds a lease renewed by a heartbeat; if
 * the process dies, the lease runs out and any worker (after a restart, or another process) takes the
 * job again. A failure is retried with exponential backoff until `maxAttempts`, then the job is `failed`.
 */
export class JobWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private current: Promise<void> | undefined;

  constructor(private readonly options: WorkerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** A job was enqueued in this process: look now instead of at the next idle tick. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Waits for the job in hand to finish, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  /** Resolves when the worker has no job in hand (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    await this.current;
  }

  private async run(): Promise<void> {
    const { db, id, leaseMs, logger } = this.options;
    while (this.running) {
      let job: JobRecord | undefined;
      try {
        job = await claimJob(db, id, leaseMs);
      } catch (err) {
        logger.error({ err: messageOf(err) }, 'cannot claim jobs');
      }
      if (!job) {
        await this.sleep();
        continue;
      }
      this.current = this.runJob(job);
      await this.current;
      this.current = undefined;
    }
    await releaseRunningJobs(db, id).catch((err: unknown) =>
      // Not fatal: another process takes them over once their lease runs out (JOB_LEASE).
      logger.error({ err: messageOf(err) }, 'cannot hand running jobs back on stop'),
    );
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.idleMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async runJob(job: JobRecord): Promise<void> {
    const { db, id, leaseMs, maxAttempts, backoffMs, logger } = this.options;
    const log = logger.child({ jobId: job.id, kind: job.kind, assetId: job.assetId, attempt: job.attempts });
    if (job.attempts > maxAttempts) {
      await failJob(
        db,
        job.id,
        id,
        `gave up after ${maxAttempts} attempts: ${job.lastError ?? 'no error recorded'}`,
        undefined,
      );
      log.error('job failed for good');
      return;
    }
    const releaseLease = holdLease(db, job.id, id, leaseMs, (err) =>
      log.warn({ err: messageOf(err) }, 'lease not renewed'),
    );
    try {
      const result = await this.options.handle(job);
      if (!(await completeJob(db, job.id, id, result)))
        log.warn('job finished after its lease was taken over');
      log.debug('job done');
    } catch (err) {
      const retry = job.attempts < maxAttempts ? backoffDelay(backoffMs, job.attempts) : undefined;
      await failJob(db, job.id, id, messageOf(err), retry).catch((e: unknown) =>
        log.error({ err: messageOf(e) }, 'cannot record the job failure'),
      );
      if (retry === undefined) log.error({ err: messageOf(err) }, 'job failed for good');
      else log.warn({ err: messageOf(err), retryInMs: retry }, 'job failed: will retry');
    } finally {
      releaseLease();
    }
  }
}
