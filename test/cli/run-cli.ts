import { loadAllVerbs } from '../../cli/lazy-group.js';
import { runCli } from '../../cli/program.js';
import { verbs } from '../../cli/verbs.js';
import type { Io, Output } from '../../common/io.js';

/**
 * Every verb group loaded up front, as the eager CLI did: loading the registry's modules then counts
 * against no test's timeout. The lazy path is covered by test/cli/lazy-verbs.test.ts and the tests
 * that spawn cli/main.ts.
 */
const allVerbs = await loadAllVerbs(verbs);

export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
}

class Capture implements Output {
  text = '';
  constructor(
    readonly isTTY = false,
    readonly columns?: number,
  ) {}
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
}

/** Runs `bonsai ARGS...` in-process, as a user would from `cwd`, and captures what it prints. */
export async function bonsai(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; tty?: boolean; columns?: number } = {},
): Promise<CapturedRun> {
  const stdout = new Capture(options.tty, options.columns);
  const stderr = new Capture(options.tty, options.columns);
  const io: Io = { stdout, stderr, cwd: options.cwd ?? process.cwd(), env: options.env ?? {} };
  const code = await runCli(args, io, allVerbs);
  return { code, stdout: stdout.text, stderr: stderr.text };
}
