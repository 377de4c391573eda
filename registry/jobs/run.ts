import type { Logger } from 'pino';
import { diagnostic, type Diagnostic } from '../../bonsai-schema/index.js';
import type { Db } from '../db/port.js';
import { RegistryError, isRegistryError, messageOf } from '../errors.js';
import { appendIngestLog } from '../store/ingest-log.js';
import { failIngestingVersions } from '../store/versions.js';
import { fencedTransaction, isLeaseLost, leaseLost } from './fence.js';
import { completeJob, failJob, renewLease, type HeldJob } from './queue.js';

/** How a held job's run ended. */
export type JobEnd =
  | { kind: 'done'; result: unknown }
  | { kind: 'failed'; error: unknown }
  | { kind: 'deadline'; error: RegistryError }
  | { kind: 'lease-lost' }
  | { kind: 'stopped' };

export interface HeldJobRun {
  db: Db;
  held: HeldJob;
  leaseMs: number;
  /** The job's whole run may last this long (JOB_DEADLINE); then it is aborted. */
  deadlineMs: number;
  logger: Logger;
  /** Aborted when the process stops: the job is abandoned here (and handed back by the caller). */
  stop?: AbortSignal;
  /** The job's work; it must stop (and write nothing more) once `signal` aborts. */
  work(signal: AbortSignal): Promise<unknown>;
}

/** Why the process stops running a job (its work sees this as the abort reason). */
class Stopping extends Error {
  constructor() {
    super('the registry is stopping');
    this.name = 'Stopping';
  }
}

/**
 * Runs a job this process holds: its lease is renewed while it runs (a renewal refused means another
 * process took the job over: the work is aborted), and the work is aborted at its deadline or when the
 * process stops. Resolves with how it ended as soon as that is known, without waiting for aborted work
 * to unwind: whatever it still tries to write is refused by the fence (the job is no longer held).
 */
export async function runHeldJob(run: HeldJobRun): Promise<JobEnd> {
  const { db, held, leaseMs, deadlineMs, logger } = run;
  const controller = new AbortController();
  const abort = (reason: Error) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const heartbeat = setInterval(
    () => {
      renewLease(db, held, leaseMs).then(
        (held) => held || abort(leaseLost(run.held)),
        (err: unknown) => logger.warn({ err: messageOf(err) }, 'lease not renewed'),
      );
    },
    Math.max(leaseMs / 3, 100),
  );
  const deadline = setTimeout(
    () =>
      abort(
        new RegistryError(
          'JOB_DEADLINE',
          `job ${held.id} ran longer than its deadline (JOB_DEADLINE, ${deadlineMs / 1000} s) and was stopped`,
        ),
      ),
    deadlineMs,
  );
  const onStop = () => abort(new Stopping());
  run.stop?.addEventListener('abort', onStop, { once: true });
  if (run.stop?.aborted) onStop();
  const aborted = new Promise<void>((resolve) =>
    controller.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  try {
    const outcome = await Promise.race([
      run.work(controller.signal).then(
        (result): JobEnd => ({ kind: 'done', result }),
        (error: unknown): JobEnd => ({ kind: 'failed', error }),
      ),
      aborted.then((): undefined => undefined),
    ]);
    if (!controller.signal.aborted && outcome) {
      if (outcome.kind === 'failed' && isLeaseLost(outcome.error)) return { kind: 'lease-lost' };
      return outcome;
    }
    const reason: unknown = controller.signal.reason;
    if (reason instanceof Stopping) return { kind: 'stopped' };
    if (isRegistryError(reason) && reason.code === 'JOB_DEADLINE') return { kind: 'deadline', error: reason };
    return { kind: 'lease-lost' };
  } finally {
    clearInterval(heartbeat);
    clearTimeout(deadline);
    run.stop?.removeEventListener('abort', onStop);
  }
}

/** The job's row and its versions' errors as the job ends; false when this process no longer held it. */
export async function recordJobEnd(
  db: Db,
  held: HeldJob,
  end:
    | { kind: 'done'; result: unknown }
    | {
        kind: 'failed';
        /** The job's last_error. */
        error: string;
        /** Undefined: failed for good, and the versions it was ingesting get `versionError`. */
        retryInMs: number | undefined;
        versionError: Diagnostic;
        /** The versions' content is recorded as failing (not tried again until it changes or --force). */
        sameContent: boolean;
      },
): Promise<boolean> {
  try {
    return await fencedTransaction(db, held, async (tx) => {
      if (end.kind === 'done') return completeJob(tx, held, end.result);
      if (end.retryInMs === undefined) {
        for (const v of await failIngestingVersions(tx, held.id, end.versionError, end.sameContent)) {
          await appendIngestLog(tx, v.assetId, {
            tag: v.tag,
            jobId: held.id,
            outcome: 'failed',
            commitSha: v.commit,
            message: `not ingested: job ${held.id} ended (${end.versionError.code})`,
            diagnostics: [end.versionError],
          });
        }
      }
      return failJob(tx, held, end.error, end.retryInMs);
    });
  } catch (err) {
    if (isLeaseLost(err)) return false;
    throw err;
  }
}

/**
 * Records a failed job: retried in `retryInMs`, or (undefined) failed for good, the versions it was
 * ingesting then showing the error. `sameContent`: their content is recorded as failing (a deadline or
 * an abandoned job: trying the same content again would end the same way).
 */
export function recordJobFailure(
  db: Db,
  held: HeldJob,
  error: unknown,
  retryInMs: number | undefined,
  sameContent: boolean,
): Promise<boolean> {
  return recordJobEnd(db, held, {
    kind: 'failed',
    error: jobErrorText(error, held.id),
    retryInMs,
    versionError: versionErrorOf(error, held.id),
    sameContent,
  });
}

/** How a job run ended, and whether its end was written to the job table. */
export interface RecordedJobEnd {
  end: JobEnd;
  /** The end is in the job table (false: another process holds the job now, or it need not be written). */
  recorded: boolean;
  /** Writing the end failed (the database): the job stays running until its lease runs out. */
  recordError?: unknown;
  /** The retry delay a failed job got; undefined when it failed for good. */
  retryInMs?: number;
}

/**
 * The job rules every holder follows, the server's worker and `bonsai registry sync` alike: runs the held
 * job (runHeldJob) and records its end: done; failed, retried after `retryIn(error)` or for good; stopped
 * at its deadline, failed for good with the content recorded as failing. A lost lease or a stop writes
 * nothing (the job is another process's, or goes back to the queue). Never throws for the recording:
 * the caller decides what a failed write means to it.
 */
export async function runAndRecordJob(
  run: HeldJobRun & { retryIn(error: unknown): number | undefined },
): Promise<RecordedJobEnd> {
  const { db, held } = run;
  const end = await runHeldJob(run);
  const record = async (write: () => Promise<boolean>, retryInMs?: number): Promise<RecordedJobEnd> => {
    try {
      return { end, recorded: await write(), retryInMs };
    } catch (recordError) {
      return { end, recorded: false, recordError, retryInMs };
    }
  };
  switch (end.kind) {
    case 'done':
      return record(() => recordJobEnd(db, held, end));
    case 'deadline':
      return record(() => recordJobFailure(db, held, end.error, undefined, true));
    case 'failed': {
      const retryInMs = run.retryIn(end.error);
      return record(() => recordJobFailure(db, held, end.error, retryInMs, false), retryInMs);
    }
    case 'lease-lost':
    case 'stopped':
      return { end, recorded: false };
  }
}

/** Codes whose messages name only GitHub URLs, releases and settings: safe for anyone to read. */
const PUBLIC_CODES = new Set(['GITHUB_FAILED', 'JOB_DEADLINE', 'JOB_ABANDONED', 'JOB_LEASE_LOST']);

/**
 * A job's error as its last_error (shown by the status API to anyone): `CODE: message` for codes whose
 * messages are public; for anything else (a database host, a stack) only the code and where the details
 * are: the log, which has the message under the job id.
 */
export function jobErrorText(err: unknown, jobId: number): string {
  if (isRegistryError(err) && PUBLIC_CODES.has(err.code)) return `${err.code}: ${err.message}`;
  const code = isRegistryError(err) ? err.code : 'INTERNAL';
  return `${code}: the job failed on an unexpected error; the registry log has the details under job ${jobId}`;
}

/**
 * What the versions a failed job was ingesting show: the coded error itself for the job's own codes;
 * for anything else INGEST_FAILED, with the message only when it is a coded (user-facing) one.
 */
export function versionErrorOf(err: unknown, jobId: number): Diagnostic {
  if (isRegistryError(err) && (err.code === 'JOB_DEADLINE' || err.code === 'JOB_ABANDONED')) {
    return diagnostic(
      err.code,
      `the ingest of this release never finished: ${err.message}; it is not tried again until the release ` +
        'changes, or by bonsai registry sync --force',
    );
  }
  // GitHub's failures name only GitHub URLs; other messages may name internals (hosts, paths).
  if (isRegistryError(err) && err.code === 'GITHUB_FAILED')
    return diagnostic('INGEST_FAILED', `the ingest job ${jobId} failed for good: ${err.message}`);
  const code = isRegistryError(err) ? ` (${err.code})` : '';
  return diagnostic(
    'INGEST_FAILED',
    `the ingest job ${jobId} failed for good on an unexpected error${code}; the registry log has the details under job ${jobId}`,
  );
}
