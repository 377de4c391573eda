import type { ExitCode } from './exit-codes.js';

/**
 * Any error a command throws that carries `exitCode` is reported as `error [CODE]: message` and sets
 * the exit code; each area's coded error type implements this shape.
 */
export interface CodedFailure {
  code: string;
  message: string;
  exitCode: ExitCode;
  hint?: string;
}

export function isCodedFailure(err: unknown): err is CodedFailure & Error {
  return (
    err instanceof Error &&
    typeof (err as Partial<CodedFailure>).code === 'string' &&
    typeof (err as Partial<CodedFailure>).exitCode === 'number'
  );
}

/** The one JSON failure shape of every verb run with `--json`: `{ok: false, error, problems}` on stdout. */
export function failureJson(err: CodedFailure, problems: readonly unknown[] = []) {
  const error = { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  return { ok: false as const, error, problems };
}
