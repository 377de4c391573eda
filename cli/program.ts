import { Command, CommanderError } from 'commander';
import { EXIT, type ExitCode } from '../common/exit-codes.js';
import { failureJson, isCodedFailure } from '../common/failure.js';
import { writeJson, writeLine, type Io } from '../common/io.js';
import { helpWidth, withVerbHelp } from '../common/verb-help.js';
import type { ActionRunner, VerbRegistration } from '../common/verb.js';
import { verbsFor, type VerbEntry } from './lazy-group.js';
import { PACKAGE_VERSION } from './version.js';

export function createProgram(io: Io, verbs: readonly VerbRegistration[], result: { exitCode: ExitCode }) {
  const program = new Command('bonsai')
    .summary('Package, publish, serve and fetch Sensu assets.')
    .description(
      'Package, publish, serve and fetch Sensu assets: a self-hosted registry compatible with Bonsai, and ' +
        'the packager that proves before a release that the registry and the Sensu agent will accept it.',
    )
    .version(PACKAGE_VERSION, '-V, --version', 'Print the version of bonsai.')
    .helpOption('-h, --help', 'Show this help.')
    .helpCommand('help [verb]', 'Show the help of a verb.')
    // Root options only before the verb: `pack --version 1.0.0` is the verb's own --version.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    // Narrow terminals still get wrapped descriptions (commander stops wrapping under 40 columns).
    .configureHelp({ minWidthToWrap: 20 })
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      getOutHelpWidth: () => helpWidth(io.stdout),
      getErrHelpWidth: () => helpWidth(io.stderr),
    });
  withVerbHelp(program, io, {
    examples: [
      'bonsai init hello-world && cd hello-world',
      'bonsai pack --version 0.0.1 && bonsai check --version 0.0.1',
      'bonsai add sensu/sensu-slack-handler --registry https://bonsai.example.com',
      'bonsai registry serve',
      'bonsai help pack',
    ],
    exitCodes: [
      [0, 'The verb did what was asked.'],
      [1, 'The input is wrong (validation or verification failed).'],
      [2, 'The command line is wrong (usage error).'],
      [3, 'An outside service (GitHub, a registry, a database) failed.'],
    ],
  });
  const run: ActionRunner =
    (handler) =>
    async (...args) => {
      try {
        result.exitCode = await handler(...args);
      } catch (err) {
        // A verb run with --json that fails by throwing (the registry's verbs) still answers scripts on
        // stdout, in the packaging verbs' shape; the coded line goes to stderr as for every failure.
        if (isCodedFailure(err) && jsonRequested(args)) writeJson(io.stdout, failureJson(err));
        throw err;
      }
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

/** Commander passes a verb's options object second to last (before the Command itself). */
function jsonRequested(args: readonly unknown[]): boolean {
  const options = args.at(-2);
  return typeof options === 'object' && options !== null && (options as { json?: unknown }).json === true;
}

/** Runs the `bonsai` CLI against `io` and returns the exit code instead of exiting. */
export async function runCli(
  argv: readonly string[],
  io: Io,
  verbs: readonly VerbEntry[],
): Promise<ExitCode> {
  const result: { exitCode: ExitCode } = { exitCode: EXIT.OK };
  try {
    const program = createProgram(io, await verbsFor(argv, verbs), result);
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
