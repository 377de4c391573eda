import { formatDiagnostic, type Diagnostic } from '../../bonsai-schema/index.js';
import { failureJson, isCodedFailure } from '../../common/failure.js';
import { writeJson, writeLine, type Io } from '../../common/io.js';
import type { ExitCode } from '../../common/exit-codes.js';
import { isPackagerError } from '../errors.js';

/**
 * Runs a verb's body and reports a coded failure the packager's way, the one failure shape of every
 * packaging verb: on stderr the problems found in files (FILE:LINE:COL  severity CODE  message), the
 * error, each of its causes with its hint, then its hint; with `--json`, also
 * `{ok: false, error, problems}` on stdout for scripts (problems: the causes, then the diagnostics).
 */
export async function reportingFailures(
  io: Io,
  json: boolean | undefined,
  body: () => Promise<ExitCode>,
): Promise<ExitCode> {
  try {
    return await body();
  } catch (err) {
    if (!isCodedFailure(err)) throw err;
    const causes = isPackagerError(err) ? err.causes : [];
    // Each diagnostic carries its file (PackagerErrorOptions.diagnostics), so no default file is needed.
    const diagnostics = isPackagerError(err) ? err.diagnostics : [];
    printDiagnostics(io.stderr, diagnostics, '');
    writeLine(io.stderr, `error [${err.code}]: ${err.message}`);
    for (const cause of causes) {
      writeLine(io.stderr, `  error ${cause.code}  ${cause.message}`);
      if (cause.hint) writeLine(io.stderr, `    hint: ${cause.hint}`);
    }
    if (err.hint) writeLine(io.stderr, `hint: ${err.hint}`);
    if (json) {
      const problems = [...causes.map((c) => c.toJSON()), ...diagnostics.map((d) => diagnosticJson(d, ''))];
      writeJson(io.stdout, failureJson(err, problems));
    }
    return err.exitCode;
  }
}

/** Diagnostics in the one human form (FILE:LINE:COL  severity CODE  message), in sortDiagnostics order. */
export function printDiagnostics(
  out: Io['stderr'],
  diagnostics: readonly Diagnostic[],
  defaultFile: string,
): void {
  for (const d of sortDiagnostics(diagnostics, defaultFile)) writeLine(out, formatDiagnostic(d, defaultFile));
}

/**
 * The one order every verb lists problems in (lint, check, pack, publish, verify): problems with no
 * position first (about a whole file or folder, such as dist packed for another release, which explains
 * the rest), then by file, line and column; problems at the same place keep the order they were found in.
 */
export function sortDiagnostics(diagnostics: readonly Diagnostic[], defaultFile: string): Diagnostic[] {
  const file = (d: Diagnostic) => d.file ?? defaultFile;
  const placed = (d: Diagnostic) => (d.line > 0 ? 1 : 0);
  return [...diagnostics].sort(
    (a, b) =>
      placed(a) - placed(b) ||
      (placed(a) === 0
        ? 0
        : (file(a) < file(b) ? -1 : file(a) > file(b) ? 1 : 0) || a.line - b.line || a.column - b.column),
  );
}

/** The JSON shape of a diagnostic. */
export function diagnosticJson(d: Diagnostic, defaultFile: string) {
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.file ?? defaultFile,
    line: d.line,
    column: d.column,
    ...(d.hint !== undefined ? { hint: d.hint } : {}),
  };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * A one-line progress display for a TTY (redrawn in place, at most ten times a second); silent
 * elsewhere, so logs and pipes get only the results.
 */
export class ProgressLine {
  private last = 0;
  private shown = false;

  constructor(private readonly out: Io['stderr']) {}

  get enabled(): boolean {
    return this.out.isTTY === true;
  }

  update(text: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    this.shown = true;
    this.out.write(`\r\x1b[K${text}`);
  }

  clear(): void {
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}
