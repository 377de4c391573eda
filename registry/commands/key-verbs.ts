import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { EXIT, writeJson, writeLine, type Io } from '../../cli/io.js';
import type { ActionRunner } from '../../cli/program.js';
import { openDb } from '../db/open.js';
import { migrate } from '../db/migrate.js';
import { RegistryError } from '../errors.js';
import { enqueueSync } from '../jobs/queue.js';
import { addNamespaceKey, keyJson, parseKeyText, parseNamespace, revokeNamespaceKey } from '../signing.js';
import { listKeys } from '../store/keys.js';
import { configFrom, withSettingFlags } from './options.js';
import type { Db } from '../db/port.js';

const DB_SETTINGS = ['DATABASE_URL', 'DATA_DIR'] as const;

async function withDb<T>(io: Io, options: Record<string, unknown>, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(configFrom(io, options), () => undefined);
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** `bonsai registry key add | list | revoke`: the signing keys of a namespace (store verbs, like add-repo). */
export function registerKeyVerbs(registry: Command, io: Io, run: ActionRunner): void {
  const key = registry
    .command('key')
    .description("manage a namespace's signing keys: its versions must then carry a valid signature");

  withSettingFlags(
    key
      .command('add')
      .description('register a minisign public key for NAMESPACE and re-judge its versions')
      .argument('<NAMESPACE>', 'the GitHub owner')
      .requiredOption('--file <KEY.pub>', 'the public key file (bonsai keygen or minisign -G)')
      .option('--json', 'print the key as JSON'),
    DB_SETTINGS,
  ).action(
    run(async (namespace: string, options: Record<string, unknown>) => {
      const ns = parseNamespace(namespace);
      const file = String(options.file);
      const text = await readFile(path.resolve(io.cwd, file), 'utf8').catch((err: Error) => {
        throw new RegistryError('KEY_INVALID', `cannot read ${file}: ${err.message}`);
      });
      const publicKey = parseKeyText(text.slice(0, 16 * 1024));
      return withDb(io, options, async (db) => {
        const change = await addNamespaceKey(db, ns, publicKey, enqueueSync);
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

  withSettingFlags(
    key
      .command('list')
      .description('list the signing keys of NAMESPACE (of every namespace without one)')
      .argument('[NAMESPACE]', 'the GitHub owner')
      .option('--json', 'print JSON'),
    DB_SETTINGS,
  ).action(
    run(async (namespace: string | undefined, options: Record<string, unknown>) => {
      const ns = namespace === undefined ? undefined : parseNamespace(namespace);
      return withDb(io, options, async (db) => {
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

  withSettingFlags(
    key
      .command('revoke')
      .description(
        'revoke a key of NAMESPACE: versions signed only by it fail at their next ingest (queued now)',
      )
      .argument('<NAMESPACE>', 'the GitHub owner')
      .argument('<KEY_ID>', 'the key id (16 hex digits, as key list shows it)')
      .option('--json', 'print the key as JSON'),
    DB_SETTINGS,
  ).action(
    run(async (namespace: string, keyId: string, options: Record<string, unknown>) => {
      const ns = parseNamespace(namespace);
      if (!/^[0-9A-Fa-f]{16}$/.test(keyId)) {
        throw new RegistryError('INVALID_DATA', `${JSON.stringify(keyId)} is not a key id (16 hex digits)`, {
          hint: `bonsai registry key list ${ns} shows the key ids`,
        });
      }
      return withDb(io, options, async (db) => {
        const change = await revokeNamespaceKey(db, ns, keyId, enqueueSync);
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
