import { EXIT } from './exit-codes.js';
import type { CodedFailure } from './failure.js';

/**
 * A command line that cannot be acted on (exit 2): a bad flag value, a missing argument. Its code is
 * USAGE unless the area names it more precisely (packager/errors.ts: usageFailure).
 */
export class UsageError extends Error implements CodedFailure {
  readonly exitCode = EXIT.USAGE;
  constructor(
    message: string,
    readonly hint?: string,
    readonly code: string = 'USAGE',
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
