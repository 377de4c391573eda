import type { Command } from 'commander';
import { EXIT, type Io } from '../../cli/io.js';
import type { ActionRunner } from '../../cli/program.js';
import { createLogger, logFormatFor } from '../logger.js';
import { startRegistry } from '../server.js';
import { configFrom, withSettingFlags } from './options.js';

/** Resolves on the first SIGINT or SIGTERM: the one place the registry listens to the process itself. */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function registerServe(registry: Command, io: Io, run: ActionRunner): void {
  withSettingFlags(
    registry
      .command('serve')
      .description('run the registry: Bonsai API v1, webhooks, CI trigger, poller and ingest worker'),
  ).action(
    run(async (options: Record<string, unknown>) => {
      const config = configFrom(io, options);
      const logger = createLogger(
        config.logLevel,
        io.stdout,
        logFormatFor(config.logFormat, io.stdout.isTTY),
      );
      const registry = await startRegistry(config, logger);
      const signal = await untilStopped();
      logger.info({ signal }, 'stopping');
      await registry.close();
      return EXIT.OK;
    }),
  );
}
