import type { Command } from 'commander';
import { EXIT } from '../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../common/io.js';
import type { ActionRunner } from '../../common/verb.js';
import { RegistryError } from '../errors.js';
import { recordAudit } from '../store/audit.js';
import { insertToken, listTokens, revokeToken } from '../store/tokens.js';
import { hashToken, newToken, parseExpiry, parseScopes } from '../tokens.js';
import { withVerbHelp } from '../../common/verb-help.js';
import { ADMIN_EXIT_CODES as EXIT_CODES, shownDate as date } from './admin-verbs.js';
import { DATABASE_SETTINGS, configFrom, withSettingFlags, type VerbOptions } from './options.js';
import { withStatusDb } from '../status.js';
import { cliActor } from './actor.js';
import { withMigratedDb } from './migrated-db.js';

const DB_SETTINGS = DATABASE_SETTINGS;

/** `token create`: --name and --scope are required (commander refuses the verb without them). */
type TokenCreateOptions = VerbOptions<{ name: string; scope: string[]; expires?: string; json?: boolean }>;
/** `token list` and `token revoke NAME`. */
type TokenOptions = VerbOptions<{ json?: boolean }>;

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `bonsai registry token create | list | revoke`. */
export function registerToken(registry: Command, io: Io, run: ActionRunner): void {
  const token = withVerbHelp(
    registry
      .command('token')
      .summary('Manage scoped API tokens for the admin routes and the CI trigger.')
      .description(
        'Manage scoped API tokens: admin (register repositories, any sync), sync:NAMESPACE/* or ' +
          'sync:NAMESPACE/NAME (the CI trigger of those assets). Only a hash of each token is stored; ' +
          'ADMIN_TOKEN stays a bootstrap admin.',
      ),
    io,
    {
      examples: [
        "bonsai registry token create --name ci-acme --scope 'sync:acme/*' --expires 90d",
        'bonsai registry token list',
        'bonsai registry token revoke ci-acme',
      ],
      exitCodes: EXIT_CODES('The verb did what was asked.'),
    },
  );

  withVerbHelp(
    withSettingFlags(
      token
        .command('create')
        .summary('Create a token and print it once.')
        .description(
          'Create a token with the given scopes and print it once on standard output; only its SHA-256 ' +
            'is stored, so it cannot be shown again.',
        )
        .requiredOption('--name <name>', 'A name for the token: who or what uses it.')
        .requiredOption(
          '--scope <scope>',
          'Admin, sync:NAMESPACE/* or sync:NAMESPACE/NAME; repeat it for several.',
          collect,
        )
        .option('--expires <duration>', 'Its lifetime: 30m, 12h, 90d, 8w or 1y (default: never).')
        .option('--json', 'Print JSON.'),
      DB_SETTINGS,
    ),
    io,
    {
      examples: [
        "bonsai registry token create --name ci-acme --scope 'sync:acme/*' --expires 90d",
        'bonsai registry token create --name ops --scope admin --json',
      ],
      exitCodes: EXIT_CODES('The token was created and printed.'),
    },
  ).action(
    run(async (options: TokenCreateOptions) => {
      const name = String(options.name).trim();
      if (!/^[\w.@:-]{1,100}$/.test(name))
        throw new RegistryError('INVALID_DATA', `--name ${JSON.stringify(name)} is not a token name`, {
          hint: 'use letters, digits and . _ - @ : (at most 100)',
        });
      const scopes = parseScopes(options.scope);
      const expiresAt = typeof options.expires === 'string' ? parseExpiry(options.expires) : null;
      const secret = newToken();
      const record = await withMigratedDb(io, options, (db) =>
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

  withVerbHelp(
    withSettingFlags(
      token
        .command('list')
        .summary('List the tokens.')
        .description(
          'List the tokens with their scopes, creation, last use, expiry and state (never the tokens).',
        )
        .option('--json', 'Print JSON.'),
      DB_SETTINGS,
    ),
    io,
    {
      examples: ['bonsai registry token list', 'bonsai registry token list --json'],
      exitCodes: EXIT_CODES('The tokens were listed.'),
    },
  ).action(
    run(async (options: TokenOptions) => {
      const tokens = await withStatusDb(configFrom(io, options), listTokens);
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

  withVerbHelp(
    withSettingFlags(
      token
        .command('revoke')
        .summary('Revoke a token.')
        .description('Revoke a token: every request with it is refused (401) from now on.')
        .argument('<name>', 'The name of the token.'),
      DB_SETTINGS,
    ),
    io,
    {
      examples: ['bonsai registry token revoke ci-acme'],
      exitCodes: EXIT_CODES('The token was revoked.'),
    },
  ).action(
    run(async (name: string, options: TokenOptions) => {
      const revoked = await withMigratedDb(io, options, (db) =>
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
