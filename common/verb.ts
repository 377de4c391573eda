import type { Command } from 'commander';
import type { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';

/** Registers one verb (or a group of verbs) on the root program. */
export type VerbRegistration = (program: Command, io: Io, run: ActionRunner) => void;

/** Wraps a handler so that its exit code reaches `runCli`. */
export type ActionRunner = <A extends unknown[]>(
  handler: (...args: A) => Promise<ExitCode>,
) => (...args: A) => Promise<void>;
