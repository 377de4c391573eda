import type { Command } from 'commander';
import { EXIT, writeJson, writeLine, type Io } from '../../cli/io.js';
import type { ActionRunner } from '../../cli/program.js';
import { migrate } from '../db/migrate.js';
import { openDb } from '../db/open.js';
import type { Db } from '../db/port.js';
import { RegistryError } from '../errors.js';
import { recentAudit, recordAudit } from '../store/audit.js';
import { insertToken, listTokens, revokeToken } from '../store/tokens.js';
import { hashToken, newToken, parseExpiry, parseScopes } from '../tokens.js';
import { configFrom, withSettingFlags } from './options.js';
import { cliActor } from './actor.js';

const DB_SETTINGS = ['DATABASE_URL', 'DATA_DIR'] as const;

/** Opens the registry's database (migrated) for one command. */
async function withDb<T>(io: Io, options: Record<string, unknown>, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(configFrom(io, options), () => undefined);
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

const date = (d: Date | null) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');

/** `bonsai registry token create | list | revoke`. */
export function registerToken(registry: Command, io: Io, run: ActionRunner): void {
  const token = registry
    .command('token')
    .description('manage scoped API tokens for the admin routes and the CI trigger');

  withSettingFlags(
    token
      .command('create')
      .description('create a token and print it once (only its hash is stored)')
      .requiredOption('--name <name>', 'a name for the token (who or what uses it)')
      .requiredOption(
        '--scope <scope>',
        'admin, sync:NAMESPACE/* or sync:NAMESPACE/NAME (repeat for several)',
        collect,
      )
      .option('--expires <duration>', 'lifetime: 30m, 12h, 90d, 8w, 1y (default: never)')
      .option('--json', 'print JSON'),
    DB_SETTINGS,
  ).action(
    run(async (options: Record<string, unknown>) => {
      const name = String(options.name).trim();
      if (!/^[\w.@:-]{1,100}$/.test(name))
        throw new RegistryError('INVALID_DATA', `--name ${JSON.stringify(name)} is not a token name`, {
          hint: 'use letters, digits and . _ - @ : (at most 100)',
        });
      const scopes = parseScopes(options.scope as string[]);
      const expiresAt = typeof options.expires === 'string' ? parseExpiry(options.expires) : null;
      const secret = newToken();
      const record = await withDb(io, options, (db) =>
        db.transaction(async (tx) => {
          const created = await insertToken(tx, { name, tokenHash: hashToken(secret), scopes, expiresAt });
          await recordAudit(tx, {
            actor: cliActor(),
            action: 'token.create',
            target: name,
            detail: { scopes, expires_at: expiresAt?.toISOString() ?? null },
          });
          return created;
        }),
      );
      if (options.json === true) {
        writeJson(io.stdout, {
          name,
          scopes,
          expires_at: record.expiresAt?.toISOString() ?? null,
          token: secret,
        });
      } else {
        writeLine(io.stdout, secret);
        writeLine(
          io.stderr,
          `token ${name} created (scopes ${scopes.join(', ')}; expires ${date(record.expiresAt) === '-' ? 'never' : date(record.expiresAt)}); it is shown only this once`,
        );
      }
      return EXIT.OK;
    }),
  );

  withSettingFlags(
    token
      .command('list')
      .description('list tokens: name, scopes, created, last used, expiry')
      .option('--json', 'print JSON'),
    DB_SETTINGS,
  ).action(
    run(async (options: Record<string, unknown>) => {
      const tokens = await withDb(io, options, listTokens);
      const rows = tokens.map((t) => ({
        name: t.name,
        scopes: t.scopes,
        created_at: date(t.createdAt),
        last_used_at: date(t.lastUsedAt),
        expires_at: date(t.expiresAt),
        state: t.revokedAt
          ? 'revoked'
          : t.expiresAt && t.expiresAt.getTime() <= Date.now()
            ? 'expired'
            : 'active',
      }));
      if (options.json === true) {
        writeJson(io.stdout, rows);
        return EXIT.OK;
      }
      if (rows.length === 0) {
        writeLine(io.stderr, 'no tokens; create one: bonsai registry token create --name NAME --scope SCOPE');
        return EXIT.OK;
      }
      writeLine(io.stdout, ['NAME', 'SCOPES', 'CREATED', 'LAST USED', 'EXPIRES', 'STATE'].join('\t'));
      for (const r of rows)
        writeLine(
          io.stdout,
          [r.name, r.scopes.join(','), r.created_at, r.last_used_at, r.expires_at, r.state].join('\t'),
        );
      return EXIT.OK;
    }),
  );

  withSettingFlags(
    token
      .command('revoke')
      .description('revoke a token: it is refused from now on')
      .argument('<name>', 'the token name'),
    DB_SETTINGS,
  ).action(
    run(async (name: string, options: Record<string, unknown>) => {
      const revoked = await withDb(io, options, (db) =>
        db.transaction(async (tx) => {
          const done = await revokeToken(tx, name);
          if (done) await recordAudit(tx, { actor: cliActor(), action: 'token.revoke', target: name });
          return done;
        }),
      );
      if (!revoked)
        throw new RegistryError('NOT_FOUND', `no active token named ${name}`, {
          hint: 'bonsai registry token list shows the tokens',
        });
      writeLine(io.stdout, `revoked token ${name}`);
      return EXIT.OK;
    }),
  );
}

/** `bonsai registry audit`: the newest writes, oldest first. */
export function registerAudit(registry: Command, io: Io, run: ActionRunner): void {
  withSettingFlags(
    registry
      .command('audit')
      .description('show who changed what and when (registrations, syncs, tokens)')
      .option('--limit <n>', 'rows to show (newest)', '50')
      .option('--json', 'print JSON'),
    DB_SETTINGS,
  ).action(
    run(async (options: Record<string, unknown>) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
        throw new RegistryError('INVALID_DATA', `--limit ${JSON.stringify(options.limit)} is not 1 to 10000`);
      const rows = await withDb(io, options, (db) => recentAudit(db, limit));
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
