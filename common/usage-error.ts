import { EXIT } from './exit-codes.js';
import type { CodedFailure } from './failure.js';

/** A command line that cannot be acted on (exit 2): a bad flag value, a missing argument. */
export class UsageError extends Error implements CodedFailure {
  readonly code = 'USAGE';
  readonly exitCode = EXIT.USAGE;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
