import type { Command } from 'commander';
import { EXIT } from '../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../common/io.js';
import { withVerbHelp } from '../../common/verb-help.js';
import type { ActionRunner } from '../../common/verb.js';
import { RegistryError } from '../errors.js';
import { recentAudit } from '../store/audit.js';
import { ADMIN_EXIT_CODES as EXIT_CODES, shownDate as date } from './admin-verbs.js';
import { DATABASE_SETTINGS, configFrom, withSettingFlags, type VerbOptions } from './options.js';
import { withStatusDb } from '../status.js';

/** `audit`: --limit has a default, so it is always there (checked below). */
type AuditOptions = VerbOptions<{ limit: string; json?: boolean }>;

/** `bonsai registry audit`: the newest writes, oldest first. */
export function registerAudit(registry: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    withSettingFlags(
      registry
        .command('audit')
        .summary('Show who changed what, and when.')
        .description(
          'Show the newest audit rows, oldest first: who (ADMIN_TOKEN, token:NAME, cli:USER, webhook), ' +
            'what (registrations, syncs, tokens), on what, when and under which request id.',
        )
        .option('--limit <n>', 'How many of the newest rows to show (default: 50).', '50')
        .option('--json', 'Print JSON.'),
      DATABASE_SETTINGS,
    ),
    io,
    {
      examples: ['bonsai registry audit', 'bonsai registry audit --limit 500 --json'],
      exitCodes: EXIT_CODES('The rows were printed.'),
    },
  ).action(
    run(async (options: AuditOptions) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
        throw new RegistryError('INVALID_DATA', `--limit ${JSON.stringify(options.limit)} is not 1 to 10000`);
      const rows = await withStatusDb(configFrom(io, options), (db) => recentAudit(db, limit));
      if (options.json === true) {
        writeJson(
          io.stdout,
          rows.map((r) => ({
            at: r.at.toISOString(),
            actor: r.actor,
            action: r.action,
            target: r.target,
            request_id: r.requestId ?? null,
            detail: r.detail,
          })),
        );
        return EXIT.OK;
      }
      for (const r of rows) {
        writeLine(
          io.stdout,
          [date(r.at), r.actor, r.action, r.target, r.requestId ? `request ${r.requestId}` : '']
            .join('  ')
            .trimEnd(),
        );
      }
      return EXIT.OK;
    }),
  );
}
