/**
 * What a command may touch of the outside world. Commands never use `process` directly, so tests run
 * them in-process with captured streams, a chosen cwd and a chosen environment.
 */
export interface Output {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** The terminal's width, when it is one: help is wrapped to it. */
  columns?: number;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  cwd: string;
  env: Record<string, string | undefined>;
}

/** Exit codes shared by every verb (DESIGN: conventions). */
export const EXIT = {
  OK: 0,
  /** The input is wrong: validation or verification failed. */
  INVALID: 1,
  /** The command line is wrong. */
  USAGE: 2,
  /** An outside service (GitHub, a registry, a database) failed. */
  SERVICE: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

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

export function writeLine(out: Output, line = ''): void {
  out.write(line + '\n');
}

export function writeJson(out: Output, value: unknown): void {
  out.write(JSON.stringify(value, null, 2) + '\n');
}
