import pg from 'pg';
import { invalidateAsset } from '../../registry/cache/names.js';
import { renderAsset, renderFingerprint } from '../../registry/ingest/render.js';
import { RENDER_URLS, writeState } from '../../registry/store/state.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { startOwnRedis, type OwnRedis } from './support/redis-server.js';
import { waitFor } from './support/wait.js';

/**
 * A restart with another PUBLIC_URL (issue 12): the server answers at once, renders the stored definitions
 * again in the background (sharing the work with other processes on the database), and never serves one
 * made with the old URL: not from the store, not from a shared Redis filled by a process on the old URL.
 */

const NEW_URL = 'https://bonsai-renamed.example.com';
const definition = (name: string) => `/api/v1/assets/moved/${name}/1.0.0/release_asset_builds`;
const build = (name: string) => `/api/v1/assets/moved/${name}/1.0.0/linux/amd64/release_asset`;
const NAMES = ['check-a', 'check-b', 'check-c'];

let h: Harness;
let redis: OwnRedis;
beforeAll(async () => {
  redis = await startOwnRedis();
  h = await startHarness({ db: 'postgres', env: { REDIS_URL: redis.url } });
  for (const name of NAMES) {
    h.gh.state.createRepo(`moved/${name}`);
    await publish(h.gh, `moved/${name}`, '1.0.0');
    await h.addRepo(`moved/${name}`);
  }
});
afterAll(async () => {
  await h?.close();
  await redis?.stop();
});

/** A session of "another process" on the registry's database, inside a transaction. */
async function otherSession(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: h.env.DATABASE_URL });
  await client.connect();
  await client.query('BEGIN');
  return client;
}

async function renderedWith(name: string): Promise<string> {
  const { rows } = await h.registry.runtime.db.query<{ rendered_with: string }>(
    "SELECT rendered_with FROM assets WHERE namespace = 'moved' AND name = $1",
    [name],
  );
  return JSON.parse(rows[0]!.rendered_with).publicUrl as string;
}

describe('a restart with another PUBLIC_URL', () => {
  it('answers at once, renders the rest in the background, and never serves the old URL', async () => {
    const oldUrl = h.registry.runtime.urls.publicUrl;
    // A process still on the old URL filled the shared Redis with its responses.
    for (const name of NAMES) {
      expect((await h.get(definition(name))).text).toContain(`"io.sensu.bonsai.api_url":"${oldUrl}/api/v1/`);
      expect((await h.get(build(name))).text).toContain(oldUrl);
      expect((await h.get(`/api/v1/assets/moved/${name}`)).text).toContain(oldUrl);
    }
    expect((await h.get('/api/v1/assets?items=100')).text).toContain(oldUrl);
    await h.stopRegistry();

    // Another process is rendering check-a (holds its row), and the background work cannot even start
    // (the recorded URLs are held): the server still starts and answers.
    const renderingA = await otherSession();
    const holdingState = await otherSession();
    try {
      await renderingA.query("SELECT id FROM assets WHERE name = 'check-a' FOR UPDATE");
      await holdingState.query("SELECT value FROM registry_state WHERE key = 'render_urls' FOR UPDATE");
      await h.startRegistry({ PUBLIC_URL: NEW_URL });
      // check-b is read before the background reached it: it is rendered for the read.
      for (const path of [definition('check-b'), build('check-b'), '/api/v1/assets/moved/check-b']) {
        const res = await h.get(path);
        expect(res.status).toBe(200);
        expect(res.text).toContain(NEW_URL);
        expect(res.text).not.toContain(oldUrl);
      }
      await holdingState.query('COMMIT');
      // The background renders what is left and not claimed by the other process: check-c only.
      expect(await h.registry.rerendered()).toBe(1);
      const done = h.logs.map((l) => JSON.parse(l) as { msg: string; rendered?: number; stale?: number });
      expect(
        done.filter((l) => l.msg === 'base URLs changed: definitions rendered again').at(-1),
      ).toMatchObject({ rendered: 1, stale: 2 });
      expect([await renderedWith('check-a'), await renderedWith('check-c')]).toEqual([oldUrl, NEW_URL]);
    } finally {
      await holdingState.end();
      await renderingA.query('COMMIT');
      await renderingA.end();
    }
    // check-a is still stale (its renderer went away): a list or search showing it renders it first.
    for (const path of [
      '/api/v1/assets?items=100',
      '/api/v1/assets?q=check',
      definition('check-a'),
      build('check-a'),
      '/api/v1/assets/moved/check-a',
      definition('check-c'),
    ]) {
      const res = await h.get(path);
      expect(res.status).toBe(200);
      expect(res.text).toContain(NEW_URL);
      expect(res.text).not.toContain(oldUrl);
    }
    expect(await renderedWith('check-a')).toBe(NEW_URL);
  });

  it('logs a background batch that fails, and renders its assets when they are read', async () => {
    const before = h.registry.runtime.urls.publicUrl;
    const moved = 'https://bonsai-moved-again.example.com';
    await h.stopRegistry();
    // Writing check-c's asset row fails (as a render would on a lost connection or a deadlock).
    const admin = new pg.Client({ connectionString: h.env.DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE FUNCTION refuse_render() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'render refused'; END $$`);
      await admin.query(`CREATE TRIGGER refuse_render BEFORE UPDATE OF body ON assets FOR EACH ROW
        WHEN (OLD.name = 'check-c') EXECUTE FUNCTION refuse_render()`);
      await h.startRegistry({ PUBLIC_URL: moved });
      // The one batch held all three assets: none is rendered, the failure is logged, the server serves on.
      expect(await h.registry.rerendered()).toBe(0);
      const lines = h.logs.map((l) => JSON.parse(l) as { msg: string; assets?: number; failed?: number });
      expect(lines.filter((l) => l.msg === 'background render failed: batch skipped').at(-1)).toMatchObject({
        assets: 3,
      });
      expect(
        lines.filter((l) => l.msg === 'base URLs changed: definitions rendered again').at(-1),
      ).toMatchObject({
        failed: 3,
      });
      // A read of check-c cannot render it: it fails rather than answer with the old URL.
      const refused = await h.get(definition('check-c'));
      expect(refused.status).toBeGreaterThanOrEqual(500);
      expect(refused.text).not.toContain(before);
      const fine = await h.get(definition('check-a'));
      expect(fine.text).toContain(moved);
      await admin.query('DROP TRIGGER refuse_render ON assets');
    } finally {
      await admin.query('DROP TRIGGER IF EXISTS refuse_render ON assets');
      await admin.end();
    }
    for (const path of ['/api/v1/assets?items=100', definition('check-c'), '/api/v1/assets/moved/check-b']) {
      const res = await h.get(path);
      expect(res.status).toBe(200);
      expect(res.text).toContain(moved);
      expect(res.text).not.toContain(before);
    }
  });

  it('an ingest waits for a render that holds the asset, instead of deadlocking with it', async () => {
    // A stale render (a read, or the background) locks the asset row, then writes its versions; an ingest
    // writes a version, then renders the asset. Both take the asset first, so one waits for the other.
    await publish(h.gh, 'moved/check-b', '1.1.0');
    // The render starts while the ingest downloads the release's files (after its other writes).
    const downloading = h.gh.faults.inject({
      origin: 'cdn',
      path: '/releases/*',
      times: 'forever',
      action: { kind: 'delay', ms: 300 },
    });
    const renderer = await otherSession();
    try {
      const syncing = h.sync('moved/check-b');
      await waitFor('the ingest to download', () => downloading.hits > 0);
      // The lock a render's write of the asset row holds (rows that refer to the asset can still be added).
      const { rows } = await renderer.query<{ id: number }>(
        "SELECT id FROM assets WHERE namespace = 'moved' AND name = 'check-b' FOR NO KEY UPDATE",
      );
      await waitFor('the ingest to wait on a lock', async () => {
        const waiting = await h.registry.runtime.db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        );
        return waiting.rows[0]!.n > 0;
      });
      // The render goes on and writes the asset's versions, as a full render does.
      await renderer.query('UPDATE versions SET etag = etag WHERE asset_id = $1', [rows[0]!.id]);
      await renderer.query('COMMIT');
      await syncing;
    } finally {
      h.gh.faults.clear();
      await renderer.end();
    }
    const res = await h.get('/api/v1/assets/moved/check-b/1.1.0/release_asset_builds');
    expect(res.status).toBe(200);
  });

  it('serves renders made by a newer process with other URLs as they are, rather than render them back', async () => {
    const db = h.registry.runtime.db;
    const newer = {
      publicUrl: 'https://bonsai-newer.example.com',
      artifactsUrl: 'https://cdn-newer.example.com',
    };
    // A process started since with other URLs (a rolling deploy): it records them and renders check-a.
    await writeState(db, RENDER_URLS, renderFingerprint(newer));
    const { rows } = await db.query<{ id: number; namespace: string; name: string }>(
      "SELECT id, namespace, name FROM assets WHERE namespace = 'moved' AND name = 'check-a'",
    );
    await db.transaction((tx) => renderAsset(tx, rows[0]!.id, newer, 'all'));
    await invalidateAsset(h.registry.runtime.cache, rows[0]!);
    const res = await h.get(definition('check-a'));
    expect(res.status).toBe(200);
    expect(res.text).toContain(newer.publicUrl);
    expect(await renderedWith('check-a')).toBe(newer.publicUrl);
  });
});
