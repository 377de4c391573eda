import type { Command } from 'commander';
import { EXIT } from '../../common/exit-codes.js';
import { writeLine, type Io } from '../../common/io.js';
import { withVerbHelp } from '../../common/verb-help.js';
import type { ActionRunner } from '../../common/verb.js';
import { migrate } from '../db/migrate.js';
import { openDb } from '../db/open.js';
import { DATABASE_SETTINGS, configFrom, withSettingFlags, type VerbOptions } from './options.js';

/** `bonsai registry migrate`: only the database settings. */
type MigrateOptions = VerbOptions;

export function registerMigrate(registry: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    withSettingFlags(
      registry
        .command('migrate')
        .summary('Apply the database migrations.')
        .description(
          'Apply the database migrations that are not applied yet, under a lock, so that several ' +
            'registry processes may start together. `serve` also applies them at start.',
        ),
      DATABASE_SETTINGS,
    ),
    io,
    {
      examples: [
        'bonsai registry migrate',
        'DATABASE_URL=postgres://bonsai@db/bonsai bonsai registry migrate',
      ],
      exitCodes: [
        [0, 'The database is up to date.'],
        [2, 'A setting is invalid.'],
        [3, 'The database failed.'],
      ],
    },
  ).action(
    run(async (options: MigrateOptions) => {
      const config = configFrom(io, options);
      const db = await openDb(config, () => undefined);
      try {
        const applied = await migrate(db);
        writeLine(
          io.stdout,
          applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date',
        );
        return EXIT.OK;
      } finally {
        await db.close();
      }
    }),
  );
}
