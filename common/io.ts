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

export function writeLine(out: Output, line = ''): void {
  out.write(line + '\n');
}

export function writeJson(out: Output, value: unknown): void {
  out.write(JSON.stringify(value, null, 2) + '\n');
}
