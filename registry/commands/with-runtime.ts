import { type Io } from '../../common/io.js';
import { createLogger } from '../logger.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { configFrom, type VerbOptions } from './options.js';

/** CLI verbs log only warnings (to stderr); their results go to stdout. */
function quietLogger(io: Io, level: string) {
  return createLogger(level === 'info' ? 'warn' : level, io.stderr);
}

/** Opens the registry's ports for one command and closes them after, whatever happens. */
export async function withRuntime<T>(
  io: Io,
  options: VerbOptions,
  fn: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const config = configFrom(io, options);
  const runtime = await openRuntime(config, quietLogger(io, config.logLevel));
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}
