import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../common/io.js';
import { withVerbHelp } from '../../common/verb-help.js';
import type { ActionRunner } from '../../common/verb.js';
import { RegistryError } from '../errors.js';
import { enqueueSync } from '../jobs/queue.js';
import { addNamespaceKey, keyJson, parseKeyText, parseNamespace, revokeNamespaceKey } from '../signing.js';
import { listKeys } from '../store/keys.js';
import { cliActor } from './actor.js';
import { withMigratedDb } from './migrated-db.js';
import { DATABASE_SETTINGS, configFrom, withSettingFlags, type VerbOptions } from './options.js';
import { withStatusDb } from '../status.js';

const DB_SETTINGS = DATABASE_SETTINGS;

/** `key add NS --file KEY.pub`. */
type KeyAddOptions = VerbOptions<{ file: string; json?: boolean }>;
/** `key list [NS]` and `key revoke NS KEYID`. */
type KeyOptions = VerbOptions<{ json?: boolean }>;

const EXIT_CODES = (zero: string) =>
  [
    [0, zero],
    [1, 'The input is wrong: a bad namespace, key or key id, or no such key.'],
    [2, 'A setting is invalid.'],
    [3, 'The database failed.'],
  ] as const;

/** `bonsai registry key add | list | revoke`: the signing keys of a namespace (store verbs, like add-repo). */
export function registerKeyVerbs(registry: Command, io: Io, run: ActionRunner): void {
  const key = withVerbHelp(
    registry
      .command('key')
      .summary("Manage a namespace's signing keys.")
      .description(
        'Manage the minisign public keys of a namespace (a GitHub owner). Once a namespace has keys, a ' +
          'version of its assets is served only when its checksum files are signed by one of them that is ' +
          'not revoked (SIGNATURE_MISSING, SIGNATURE_INVALID otherwise).',
      ),
    io,
    {
      examples: ['bonsai registry key add acme --file release.pub', 'bonsai registry key list acme'],
      exitCodes: EXIT_CODES('The command succeeded.'),
    },
  );

  withVerbHelp(
    withSettingFlags(
      key
        .command('add')
        .summary('Register a minisign public key for NS and judge its versions again.')
        .description(
          'Register a minisign public key (bonsai keygen or minisign -G) for the namespace NS, and queue a sync ' +
            'of every asset of the namespace so each version is judged against its keys. Adding a key ' +
            'that is there already changes nothing; a revoked key id can never be added again.',
        )
        .argument('<NS>', 'The namespace: a GitHub owner.')
        .requiredOption('--file <KEY.pub>', 'The public key file.')
        .option('--json', 'Print the key as JSON.'),
      DB_SETTINGS,
    ),
    io,
    {
      examples: ['bonsai registry key add acme --file release.pub'],
      exitCodes: EXIT_CODES('The key is registered.'),
    },
  ).action(
    run(async (namespace: string, options: KeyAddOptions) => {
      const ns = parseNamespace(namespace);
      const file = String(options.file);
      const text = await readFile(path.resolve(io.cwd, file), 'utf8').catch((err: Error) => {
        throw new RegistryError('KEY_INVALID', `cannot read ${file}: ${err.message}`);
      });
      const publicKey = parseKeyText(text.slice(0, 16 * 1024));
      return withMigratedDb(io, options, async (db) => {
        const change = await addNamespaceKey(db, ns, publicKey, enqueueSync, { actor: cliActor() });
        if (options.json === true) writeJson(io.stdout, { ...keyJson(change.key), created: change.created });
        else
          writeLine(
            io.stdout,
            `${change.created ? 'added' : 'already registered:'} key ${change.key.keyId} for ${ns}` +
              (change.jobs.length > 0 ? ` (${change.jobs.length} sync job(s) queued)` : ''),
          );
        return EXIT.OK;
      });
    }),
  );

  withVerbHelp(
    withSettingFlags(
      key
        .command('list')
        .summary('List the signing keys of NS, or of every namespace.')
        .description('List the signing keys of NS (of every namespace without one), active or revoked.')
        .argument('[NS]', 'The namespace: a GitHub owner.')
        .option('--json', 'Print JSON.'),
      DB_SETTINGS,
    ),
    io,
    {
      examples: ['bonsai registry key list acme', 'bonsai registry key list --json'],
      exitCodes: EXIT_CODES('The keys were listed.'),
    },
  ).action(
    run(async (namespace: string | undefined, options: KeyOptions) => {
      const ns = namespace === undefined ? undefined : parseNamespace(namespace);
      return withStatusDb(configFrom(io, options), async (db) => {
        const keys = await listKeys(db, ns);
        if (options.json === true) {
          writeJson(io.stdout, { keys: keys.map(keyJson) });
          return EXIT.OK;
        }
        if (keys.length === 0) writeLine(io.stdout, ns ? `${ns} has no keys` : 'no keys');
        for (const k of keys) {
          const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active';
          writeLine(io.stdout, `${k.namespace}  ${k.keyId}  ${state}  ${k.publicKey}`);
        }
        return EXIT.OK;
      });
    }),
  );

  withVerbHelp(
    withSettingFlags(
      key
        .command('revoke')
        .summary('Revoke a signing key of NS.')
        .description(
          'Revoke a key of the namespace NS: the versions it signed stop being served at their next ingest, ' +
            'which is queued now (SIGNATURE_INVALID, naming the revoked key). A revoked key stays revoked.',
        )
        .argument('<NS>', 'The namespace: a GitHub owner.')
        .argument('<KEY_ID>', 'The key id (16 hex digits, as key list shows it).')
        .option('--json', 'Print the key as JSON.'),
      DB_SETTINGS,
    ),
    io,
    {
      examples: ['bonsai registry key revoke acme 5F3B0C4A9E1D2B77'],
      exitCodes: EXIT_CODES('The key is revoked.'),
    },
  ).action(
    run(async (namespace: string, keyId: string, options: KeyOptions) => {
      const ns = parseNamespace(namespace);
      if (!/^[0-9A-Fa-f]{16}$/.test(keyId)) {
        throw new RegistryError('INVALID_DATA', `${JSON.stringify(keyId)} is not a key id (16 hex digits)`, {
          hint: `bonsai registry key list ${ns} shows the key ids`,
        });
      }
      return withMigratedDb(io, options, async (db) => {
        const change = await revokeNamespaceKey(db, ns, keyId, enqueueSync, { actor: cliActor() });
        if (options.json === true) writeJson(io.stdout, keyJson(change.key));
        else
          writeLine(
            io.stdout,
            `revoked key ${change.key.keyId} of ${ns}` +
              (change.jobs.length > 0 ? ` (${change.jobs.length} sync job(s) queued)` : ''),
          );
        return EXIT.OK;
      });
    }),
  );
}
