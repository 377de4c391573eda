import type { Command } from 'commander';
import { EXIT } from '../../common/exit-codes.js';
import type { Io } from '../../common/io.js';
import { withVerbHelp } from '../../common/verb-help.js';
import type { ActionRunner } from '../../common/verb.js';
import { createLogger, logFormatFor } from '../logger.js';
import { startRegistry } from '../server.js';
import { configFrom, withSettingFlags, type VerbOptions } from './options.js';

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
  withVerbHelp(
    withSettingFlags(
      registry
        .command('serve')
        .summary('Run the registry: Bonsai API v1, webhooks, CI trigger, poller and ingest worker.')
        .description(
          'Run the registry until Ctrl-C (SIGINT) or SIGTERM: it answers the Bonsai API v1, takes ' +
            'signed GitHub webhooks and CI triggers, polls the registered repositories, and ingests their ' +
            'releases. With nothing set it runs embedded: PGlite under DATA_DIR, an in-process cache, and ' +
            'build URLs linking to GitHub. It applies pending migrations at start and logs JSON lines to ' +
            'standard output.',
        ),
    ),
    io,
    {
      examples: [
        'bonsai registry serve',
        'bonsai registry serve --port 8080 --data-dir /srv/bonsai',
        'DATABASE_URL=postgres://bonsai@db/bonsai REDIS_URL=redis://cache:6379 bonsai registry serve --public-url https://bonsai.example.com',
      ],
      exitCodes: [
        [0, 'The registry stopped on a signal.'],
        [2, 'A setting is invalid.'],
        [3, 'The database, Redis or the port could not be used.'],
      ],
    },
  ).action(
    run(async (options: VerbOptions) => {
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
