import { Command, CommanderError } from 'commander';
import { EXIT, isCodedFailure, writeLine, type ExitCode, type Io } from './io.js';
import { PACKAGE_VERSION } from './version.js';

/** Registers one verb (or a group of verbs) on the root program. */
export type VerbRegistration = (program: Command, io: Io, run: ActionRunner) => void;

/** Wraps a handler so that its exit code reaches `runCli`. */
export type ActionRunner = <A extends unknown[]>(
  handler: (...args: A) => Promise<ExitCode>,
) => (...args: A) => Promise<void>;

export function createProgram(io: Io, verbs: readonly VerbRegistration[], result: { exitCode: ExitCode }) {
  const program = new Command('bonsai')
    .description('Package, publish, serve and fetch Sensu assets (a self-hosted, Bonsai-compatible hub)')
    .version(PACKAGE_VERSION, '-V, --version', 'print the version of bonsai')
    // Root options only before the verb: `pack --version 1.0.0` is the verb's own --version.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  const run: ActionRunner =
    (handler) =>
    async (...args) => {
      result.exitCode = await handler(...args);
    };
  for (const register of verbs) register(program, io, run);
  // Every sub-command inherits the root's output and error handling.
  const inherit = (cmd: Command) => {
    for (const sub of cmd.commands) {
      sub.copyInheritedSettings(cmd);
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/** Runs the `bonsai` CLI against `io` and returns the exit code instead of exiting. */
export async function runCli(
  argv: readonly string[],
  io: Io,
  verbs: readonly VerbRegistration[],
): Promise<ExitCode> {
  const result: { exitCode: ExitCode } = { exitCode: EXIT.OK };
  const program = createProgram(io, verbs, result);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return result.exitCode;
  } catch (err) {
    return reportFailure(err, io);
  }
}

function reportFailure(err: unknown, io: Io): ExitCode {
  if (err instanceof CommanderError) {
    // --help and --version end through here with exit code 0; commander already printed its message.
    if (err.exitCode === 0) return EXIT.OK;
    return EXIT.USAGE;
  }
  if (isCodedFailure(err)) {
    writeLine(io.stderr, `error [${err.code}]: ${err.message}`);
    if (err.hint) writeLine(io.stderr, `hint: ${err.hint}`);
    return err.exitCode;
  }
  writeLine(io.stderr, internalErrorText(err, io.env));
  return EXIT.INVALID;
}

/** The environment variable that adds the stack to an internal error (for a bug report). */
export const DEBUG_ENV = 'BONSAI_DEBUG';

/**
 * A bug (an uncoded exception) in one coded line, like every other failure; the stack only when
 * BONSAI_DEBUG is set, so users see no trace but a report can carry one.
 */
export function internalErrorText(err: unknown, env: Record<string, string | undefined>): string {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const debug = env[DEBUG_ENV] !== undefined && env[DEBUG_ENV] !== '' && env[DEBUG_ENV] !== '0';
  if (debug && err instanceof Error && err.stack) return `error [INTERNAL]: ${err.stack}`;
  return `error [INTERNAL]: ${message.split('\n')[0]}\nhint: this is a bug: please report it, with the output of the same command run with ${DEBUG_ENV}=1`;
}
