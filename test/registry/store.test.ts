import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../registry/db/migrate.js';
import type { Db } from '../../registry/db/port.js';
import {
  findAsset,
  listAssetBodies,
  registerAsset,
  takeAssetsDueForPoll,
} from '../../registry/store/assets.js';
import { recordDelivery } from '../../registry/store/deliveries.js';
import { appendIngestLog, recentIngestLog } from '../../registry/store/ingest-log.js';
import { readState, writeState } from '../../registry/store/state.js';
import {
  buildDefinition,
  listVersions,
  loadServedVersions,
  markRemoved,
  recordFailedAttempt,
  saveBuildRender,
  saveGoodIngest,
  saveVersionRender,
  servedTags,
  trackRelease,
  versionDefinition,
  type NewBuild,
} from '../../registry/store/versions.js';
import { DB_KINDS, openTestDb, type TestDb } from './support/databases.js';

const SHA = 'ab'.repeat(64);
const COMMIT = 'c'.repeat(40);

function build(platform: string, arch: string): NewBuild {
  return {
    platform,
    arch,
    assetFilename: `x_${platform}_${arch}.tar.gz`,
    sha512: SHA,
    filters: [`entity.system.os == '${platform}'`],
    size: 3_000_000_000,
    sourceUrl: `https://example.test/${platform}_${arch}.tar.gz`,
    mirrorPath: null,
  };
}

/** An asset object as a render stores it (ingest/render.ts), with new data (updated_at moves). */
async function render(db: Db, assetId: number, body: string) {
  await db.query('UPDATE assets SET body = $2, etag = $3, updated_at = now() WHERE id = $1', [
    assetId,
    body,
    `"${body}"`,
  ]);
}

describe.each(DB_KINDS)('store on %s', (kind) => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t?.cleanup());

  it('applies migrations once: a second run applies nothing', async () => {
    const names = (await readMigrations()).map((m) => m.name);
    const { rows } = await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(names);
    expect(await migrate(db)).toEqual([]);
  });

  it('registers an asset, finds it in any case, and updates only the settings given', async () => {
    const first = await registerAsset(db, 'Sensu', 'sensu-slack-handler', { tier: 'Supported' });
    expect(first.created).toBe(true);
    expect(first.asset).toMatchObject({
      namespace: 'Sensu',
      name: 'sensu-slack-handler',
      tier: 'Supported',
      tags: [],
      description: '',
      descriptionLocked: false,
      githubUrl: 'https://github.com/Sensu/sensu-slack-handler',
    });
    const again = await registerAsset(db, 'sensu', 'SENSU-SLACK-HANDLER', { tags: ['slack', 'handler'] });
    expect(again.created).toBe(false);
    expect(again.asset).toMatchObject({ id: first.asset.id, tier: 'Supported', tags: ['slack', 'handler'] });
    const found = await findAsset(db, 'SENSU', 'Sensu-Slack-Handler');
    expect(found?.id).toBe(first.asset.id);
    expect(await findAsset(db, 'sensu', 'nope')).toBeUndefined();
  });

  it('keeps served data when a later attempt fails, and hides removed versions', async () => {
    const { asset } = await registerAsset(db, 'acme', 'widget', {});
    const v = await trackRelease(db, asset.id, '1.0.0', { releaseId: '9000000001', prerelease: false });
    await db.transaction(async (tx) => {
      await saveGoodIngest(tx, v.id, {
        fingerprint: 'fp1',
        commitSha: COMMIT,
        annotations: { 'io.sensu.bonsai.z': '1', 'io.sensu.bonsai.a': '2' },
        labels: {},
        warnings: [],
        builds: [build('linux', 'amd64'), build('Windows', '386')],
      });
      const [served] = await loadServedVersions(tx, asset.id);
      await saveVersionRender(tx, v.id, { body: '{"multi":1}', etag: '"m1"' });
      for (const b of served!.builds) {
        await saveBuildRender(
          tx,
          b.id,
          { body: `{"${b.platform}":1}`, etag: `"j${b.id}"` },
          { body: `--- ${b.platform}`, etag: `"y${b.id}"` },
        );
      }
    });
    const [served] = await loadServedVersions(db, asset.id);
    // bonsai.yml order, annotation order and sizes beyond 2^31 survive the round trip.
    expect(served!.builds.map((b) => `${b.platform}/${b.arch}`)).toEqual(['linux/amd64', 'Windows/386']);
    expect(Object.keys(served!.version.annotations!)).toEqual(['io.sensu.bonsai.z', 'io.sensu.bonsai.a']);
    expect(served!.builds[0]!.size).toBe(3_000_000_000);
    expect(await servedTags(db, asset.id)).toEqual(['1.0.0']);
    expect(await versionDefinition(db, asset.id, '1.0.0')).toEqual({ body: '{"multi":1}', etag: '"m1"' });
    expect(await buildDefinition(db, asset.id, '1.0.0', 'windows', 'X86')).toBeUndefined();
    expect((await buildDefinition(db, asset.id, '1.0.0', 'windows', '386'))?.yaml.body).toBe('--- Windows');

    await recordFailedAttempt(db, v.id, {
      fingerprint: 'fp2',
      commit: 'd'.repeat(40),
      errors: [{ code: 'YAML_SYNTAX', severity: 'error', message: 'bad', line: 3, column: 1 }],
      warnings: [],
    });
    const [after] = await listVersions(db, asset.id);
    expect(after).toMatchObject({ attemptState: 'failed', commitSha: COMMIT, fingerprint: 'fp1' });
    expect(after!.attemptErrors[0]).toMatchObject({ code: 'YAML_SYNTAX', line: 3 });
    expect(await servedTags(db, asset.id)).toEqual(['1.0.0']);

    await markRemoved(db, v.id);
    expect(await servedTags(db, asset.id)).toEqual([]);
    expect(await versionDefinition(db, asset.id, '1.0.0')).toBeUndefined();
    expect((await listVersions(db, asset.id))[0]!.removedAt).toBeInstanceOf(Date);
  });

  it('rolls a failed transaction back entirely', async () => {
    const before = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM assets')).rows[0]!.n;
    await expect(
      db.transaction(async (tx) => {
        await registerAsset(tx, 'rollback', 'me', {});
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const after = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM assets')).rows[0]!.n;
    expect(after).toBe(before);
    expect(await findAsset(db, 'rollback', 'me')).toBeUndefined();
  });

  it('lists rendered assets with filters, search, order and pages', async () => {
    const names = ['list-b', 'list-a', 'list-c'];
    for (const [i, name] of names.entries()) {
      const { asset } = await registerAsset(db, 'lister', name, {
        description: name === 'list-c' ? 'Sends alerts to PagerDuty' : '',
        tags: name === 'list-a' ? ['metrics'] : [],
      });
      // Registered in this order, a second apart (the clock may not tell quick inserts apart).
      await db.query("UPDATE assets SET created_at = now() + $2 * interval '1 second' WHERE id = $1", [
        asset.id,
        i,
      ]);
      await render(db, asset.id, name);
    }
    const page = await listAssetBodies(db, { start: 0, items: 2, order: 'name', namespace: 'LISTER' });
    expect(page).toEqual({ total: 3, bodies: ['list-a', 'list-b'] });
    expect(await listAssetBodies(db, { start: 2, items: 2, order: 'name', namespace: 'lister' })).toEqual({
      total: 3,
      bodies: ['list-c'],
    });
    expect(
      (await listAssetBodies(db, { start: 0, items: 10, order: 'name', search: 'pagerduty' })).bodies,
    ).toEqual(['list-c']);
    expect(
      (await listAssetBodies(db, { start: 0, items: 10, order: 'name', search: 'METRICS lister' })).bodies,
    ).toEqual(['list-a']);
    // LIKE wildcards in the search are matched literally.
    expect((await listAssetBodies(db, { start: 0, items: 10, order: 'name', search: '%' })).total).toBe(0);
    const recent = await listAssetBodies(db, {
      start: 0,
      items: 1,
      order: 'recently_added',
      namespace: 'lister',
    });
    expect(recent.bodies).toEqual(['list-c']);
  });

  it('records a webhook delivery once', async () => {
    expect(await recordDelivery(db, { id: 'd-1', event: 'release', assetId: null })).toBe(true);
    expect(await recordDelivery(db, { id: 'd-1', event: 'release', assetId: null })).toBe(false);
  });

  it('keeps registry state and the ingest log', async () => {
    await writeState(db, 'k', 'one');
    await writeState(db, 'k', 'two');
    expect(await readState(db, 'k')).toBe('two');
    expect(await readState(db, 'missing')).toBeUndefined();
    const { asset } = await registerAsset(db, 'logger', 'x', {});
    await appendIngestLog(db, asset.id, {
      tag: '1.0',
      jobId: null,
      outcome: 'failed',
      commitSha: null,
      message: 'not ingested',
      diagnostics: [
        { code: 'CONFIG_NOT_FOUND', severity: 'error', message: 'cannot find', line: 0, column: 0 },
      ],
    });
    await appendIngestLog(db, asset.id, {
      tag: '1.0',
      jobId: 4,
      outcome: 'ingested',
      commitSha: COMMIT,
      message: '',
      diagnostics: [],
    });
    const log = await recentIngestLog(db, asset.id, 10);
    expect(log.map((e) => e.outcome)).toEqual(['ingested', 'failed']);
    expect(log[1]!.diagnostics[0]!.code).toBe('CONFIG_NOT_FOUND');
  });

  it('hands each asset to the poller once per interval', async () => {
    const { asset } = await registerAsset(db, 'poller', 'x', {});
    // Just registered: its first sync is queued, so it is not due yet.
    expect(await takeAssetsDueForPoll(db, 60_000)).not.toContain(asset.id);
    expect(await takeAssetsDueForPoll(db, 0)).toContain(asset.id);
    expect(await takeAssetsDueForPoll(db, 60_000)).not.toContain(asset.id);
  });
});

describe.each(DB_KINDS)('migration 0002 on %s', (kind) => {
  it('keeps one running job per asset, handing the others back to the queue', async () => {
    const t = await openTestDb(kind);
    try {
      await t.db.query('DROP SCHEMA public CASCADE');
      await t.db.query('CREATE SCHEMA public');
      const [init, ...later] = await readMigrations();
      await migrate(t.db, [init!]);
      // Plain SQL of the 0001 schema: the store's queries need the columns of later migrations.
      const asset = (
        await t.db.query<{ id: number }>(
          "INSERT INTO assets (namespace, name, github_url) VALUES ('upgrade', 'x', 'https://github.com/upgrade/x') RETURNING id",
        )
      ).rows[0]!;
      // What an older version could leave: two jobs of one asset running.
      for (const key of ['a', 'b'])
        await t.db.query(
          "INSERT INTO jobs (kind, asset_id, dedupe_key, state, locked_by) VALUES ('sync', $1, $2, 'running', 'w')",
          [asset.id, key],
        );
      expect(await migrate(t.db)).toEqual(later.map((m) => m.name));
      const { rows } = await t.db.query('SELECT state, dedupe_key, locked_by FROM jobs ORDER BY id');
      expect(rows).toEqual([
        { state: 'running', dedupe_key: 'a', locked_by: 'w' },
        { state: 'pending', dedupe_key: null, locked_by: null },
      ]);
      await expect(t.db.query("UPDATE jobs SET state = 'running'")).rejects.toMatchObject({ code: '23505' });
    } finally {
      await t.cleanup();
    }
  });
});

describe('migrations on one Postgres database from several processes', () => {
  it('apply once when two registries start together', async () => {
    const t = await openTestDb('postgres');
    try {
      // Drop what openTestDb applied, then race two handles.
      await t.db.query('DROP SCHEMA public CASCADE');
      await t.db.query('CREATE SCHEMA public');
      const other = await t.reopen();
      const [a, b] = await Promise.all([migrate(t.db), migrate(other)]);
      const names = (await readMigrations()).map((m) => m.name);
      expect([...a, ...b].sort()).toEqual(names);
    } finally {
      await t.cleanup();
    }
  });
});
