import type { Logger } from 'pino';
import type { Db } from '../db/port.js';
import { RegistryError, isRegistryError, messageOf } from '../errors.js';
import { claimJob, heldBy, releaseRunningJobs, type HeldJob, type JobRecord } from './queue.js';
import { recordJobFailure, runAndRecordJob } from './run.js';

export interface WorkerOptions {
  db: Db;
  /** Names this worker in the job table (`locked_by`): host, pid and a random part. */
  id: string;
  leaseMs: number;
  /** Claims of a job (each counted when it is claimed) before it is failed. */
  maxAttempts: number;
  /** First retry delay; doubled per attempt, capped at an hour. */
  backoffMs: number;
  /** How often an idle worker looks for jobs enqueued by other processes. */
  idleMs: number;
  /** Jobs run at once (WORKER_CONCURRENCY); still one running job per asset across processes. */
  concurrency?: number;
  /** How long one job may run (JOB_DEADLINE). */
  deadlineMs?: number;
  logger: Logger;
  /** The job's work; it must stop, and write nothing more, once `signal` aborts. */
  handle(job: JobRecord, held: HeldJob, signal: AbortSignal): Promise<unknown>;
}

const MAX_BACKOFF_MS = 60 * 60 * 1000;
const DEFAULT_DEADLINE_MS = 60 * 60 * 1000;

export function backoffDelay(baseMs: number, attempt: number): number {
  return Math.min(baseMs * 2 ** Math.max(attempt - 1, 0), MAX_BACKOFF_MS);
}

/**
 * Runs jobs from the durable table, up to `concurrency` at once, so a slow release of one asset never
 * holds up the others. A claimed job holds a lease renewed by a heartbeat; if the process dies, the lease
 * runs out and any worker (after a restart, or another process) takes the job again. Every claim counts
 * as an attempt: a job claimed `maxAttempts` times without finishing (its process died each time) is
 * failed as JOB_ABANDONED at the next claim, instead of taking every process down in turn. A failure is
 * retried with exponential backoff until `maxAttempts`; a job running past its deadline is failed.
 */
export class JobWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly active = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly options: WorkerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** A job was enqueued in this process (or a slot freed): look now instead of at the next idle tick. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Stops claiming, aborts the jobs in hand and hands them back to the queue (another run takes them). */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    this.wake();
    await this.loop;
  }

  /** Resolves when the worker has no job in hand (for tests and orderly shutdown). */
  async idle(): Promise<void> {
    while (this.active.size > 0) await Promise.all(this.active);
  }

  private async run(): Promise<void> {
    const { db, id, leaseMs, logger } = this.options;
    const concurrency = this.options.concurrency ?? 1;
    while (this.running) {
      if (this.active.size >= concurrency) {
        await this.sleep();
        continue;
      }
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
      const running: Promise<void> = this.runJob(job)
        .catch((err: unknown) => logger.error({ err: messageOf(err), jobId: job.id }, 'job not recorded'))
        .finally(() => {
          this.active.delete(running);
          this.wake();
        });
      this.active.add(running);
    }
    await this.idle();
    await releaseRunningJobs(db, id).catch((err: unknown) =>
      // Not fatal: another process takes them over once their lease runs out (JOB_LEASE).
      logger.error({ err: messageOf(err) }, 'cannot hand running jobs back on stop'),
    );
  }

  private sleep(): Promise<void> {
    if (!this.running) return Promise.resolve();
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
    const held = heldBy(job, id);
    const log = logger.child({ jobId: job.id, kind: job.kind, assetId: job.assetId, attempt: job.attempts });
    if (job.attempts > maxAttempts) {
      const error = new RegistryError(
        'JOB_ABANDONED',
        `job ${job.id} was claimed ${maxAttempts} times (JOB_ATTEMPTS) without finishing: the process running it ` +
          `stopped or crashed each time${job.lastError ? ` (last error: ${job.lastError})` : ''}`,
      );
      await recordJobFailure(db, held, error, undefined, true);
      log.error({ code: error.code }, 'job abandoned: it never finished');
      return;
    }
    const { end, recorded, recordError, retryInMs } = await runAndRecordJob({
      db,
      held,
      leaseMs,
      deadlineMs: this.options.deadlineMs ?? DEFAULT_DEADLINE_MS,
      logger: log,
      stop: this.stopping.signal,
      work: (signal) => this.options.handle(job, held, signal),
      retryIn: (error) => {
        // An imported asset is never synced from GitHub: retrying cannot help.
        const refused = isRegistryError(error) && error.code === 'ASSET_IMPORTED';
        return job.attempts < maxAttempts && !refused ? backoffDelay(backoffMs, job.attempts) : undefined;
      },
    });
    if (recordError !== undefined) throw recordError;
    switch (end.kind) {
      case 'done':
        if (!recorded) log.warn('job finished after its lease was taken over');
        else log.debug('job done');
        return;
      case 'lease-lost':
        log.warn(
          'job taken over by another process (this one paused past JOB_LEASE): stopped, nothing written',
        );
        return;
      case 'stopped':
        log.info('job handed back: the registry is stopping');
        return;
      case 'deadline':
        log.error({ code: end.error.code }, 'job stopped at its deadline');
        return;
      case 'failed':
        if (!recorded) log.warn('job failed after its lease was taken over');
        else if (retryInMs === undefined) log.error({ err: messageOf(end.error) }, 'job failed for good');
        else log.warn({ err: messageOf(end.error), retryInMs }, 'job failed: will retry');
    }
  }
}
