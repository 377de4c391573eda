import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { strongEtag } from '../../registry/http/etags.js';
import { renderAsset } from '../../registry/ingest/render.js';
import { DB_KINDS } from './support/databases.js';
import { publish } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { waitFor } from './support/wait.js';

/**
 * The asset object after an ingest (issue 12): the ingest renders only its release and leaves the object,
 * which lists every version, to its first read. Whatever reads it (the asset route, the list, the web
 * pages) serves the new version at once, byte for byte what a full render gives, and reads during an
 * ingest neither deadlock with it nor store an object that misses its version.
 */

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

interface StoredObject {
  id: number;
  body: string;
  etag: string;
  body_stale: boolean;
}

async function storedObject(h: Harness, name: string): Promise<StoredObject> {
  const { rows } = await h.registry.runtime.db.query<StoredObject>(
    "SELECT id, body, etag, body_stale FROM assets WHERE namespace = 'lazy' AND name = $1",
    [name],
  );
  return rows[0]!;
}

describe.each(DB_KINDS)('the asset object after an ingest, on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ db: kind });
    h.gh.state.createRepo('lazy/check');
    for (const tag of ['1.0.0', '1.1.0']) await publish(h.gh, 'lazy/check', tag);
    await h.addRepo('lazy/check');
  }, 120_000);
  afterAll(() => h?.close());

  /** Publishes and syncs `tag`: the ingest leaves the stored object as it was, marked stale. */
  async function ingest(tag: string): Promise<void> {
    await publish(h.gh, 'lazy/check', tag);
    await h.sync('lazy/check');
    const stored = await storedObject(h, 'check');
    expect(stored.body_stale).toBe(true);
    expect(stored.body).not.toContain(`"version":"${tag}"`);
  }

  it('serves the new version at the first read, as a full render gives it, and a 304 for its ETag', async () => {
    expect((await h.get('/api/v1/assets/lazy/check')).text).toContain('"version":"1.1.0"');
    await ingest('2.0.0');
    const res = await h.get('/api/v1/assets/lazy/check');
    expect(res.status).toBe(200);
    expect(res.text).toContain('"version":"2.0.0"');
    const etag = res.headers.get('etag')!;
    expect(etag).toBe(strongEtag(res.text));
    expect((await h.get('/api/v1/assets/lazy/check', { 'if-none-match': etag })).status).toBe(304);
    // The read stored what it assembled; a full render has nothing to change in it.
    const stored = await storedObject(h, 'check');
    expect(stored).toMatchObject({ body: res.text, etag, body_stale: false });
    const { db, urls } = h.registry.runtime;
    expect(await db.transaction((tx) => renderAsset(tx, stored.id, urls, 'all'))).toBe(false);
    expect(await storedObject(h, 'check')).toEqual(stored);
    const again = await h.get('/api/v1/assets/lazy/check');
    expect([again.text, again.headers.get('etag')]).toEqual([res.text, etag]);
  });

  it('shows the new version in the list and on the web pages right after an ingest', async () => {
    // Each read is the first after its own ingest, with the pages it shows cached before.
    const list = () => h.get('/api/v1/assets?items=100');
    const listed = async () => {
      const page = (await list()).json() as { assets: { name: string; versions: { version: string }[] }[] };
      return page.assets.find((a) => a.name === 'lazy/check')!.versions.map((v) => v.version);
    };
    for (const path of ['/', '/assets', '/assets/lazy/check']) await h.get(path, HTML);
    await list();

    await ingest('2.1.0');
    expect(await listed()).toContain('2.1.0');
    expect((await storedObject(h, 'check')).body_stale).toBe(false);

    await ingest('2.2.0');
    const webList = await h.get('/assets', HTML);
    expect(webList.status).toBe(200);
    expect(webList.text).toMatch(
      /latest <a href="[^"]*\/assets\/lazy\/check\/versions\/2\.2\.0">2\.2\.0<\/a>/,
    );
    const page = await h.get('/assets/lazy/check', HTML);
    expect(page.text).toMatch(/Latest version: <a href="[^"]*">2\.2\.0<\/a>/);

    await ingest('2.3.0');
    expect((await h.get('/', HTML)).text).toContain('/assets/lazy/check/versions/2.3.0');
    expect((await listed()).slice(-3)).toEqual(['2.1.0', '2.2.0', '2.3.0']);
  });
});

describe('reads of a stale asset object during an ingest, on Postgres', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ db: 'postgres' });
    h.gh.state.createRepo('lazy/busy');
    await publish(h.gh, 'lazy/busy', '1.0.0');
    await h.addRepo('lazy/busy');
  }, 120_000);
  afterAll(() => h?.close());

  it('wait for the ingest that holds the asset, then serve and store its version', async () => {
    const admin = new pg.Client({ connectionString: h.env.DATABASE_URL });
    await admin.connect();
    /** Sessions of the registry's database waiting for the test's advisory lock, or for a row's lock. */
    const waiting = async (what: 'the test' | 'a row') => {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()
         AND wait_event_type = 'Lock' AND (wait_event = 'advisory') = $1`,
        [what === 'the test'],
      );
      return rows[0]!.n;
    };
    // Held by the test until the reads wait: the ingest pauses for as long as that takes, however slow.
    const HOLD = 4242;
    await admin.query('SELECT pg_advisory_lock($1)', [HOLD]);
    try {
      // The second release this sync serves pauses inside its transaction, once it holds the asset: the
      // first one left the asset object stale, so a read now must wait, then assemble both.
      await admin.query('CREATE SEQUENCE served_releases');
      await admin.query(`CREATE FUNCTION slow_second_release() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF nextval('served_releases') = 2 THEN PERFORM pg_advisory_xact_lock(${HOLD}); END IF;
        RETURN NEW; END $$`);
      await admin.query(`CREATE TRIGGER slow_second_release BEFORE UPDATE OF commit_sha ON versions
        FOR EACH ROW WHEN (OLD.commit_sha IS NULL AND NEW.commit_sha IS NOT NULL)
        EXECUTE FUNCTION slow_second_release()`);
      for (const tag of ['2.0.0', '2.1.0']) await publish(h.gh, 'lazy/busy', tag);
      const syncing = h.sync('lazy/busy');
      await waitFor('the second release to hold the asset', async () => (await waiting('the test')) > 0);
      // Two readers of the stale object: they wait for the ingest (sharing one render of the asset).
      const reads = [h.get('/api/v1/assets/lazy/busy'), h.get('/api/v1/assets?name=busy')];
      await waitFor('the reads to wait for the ingest', async () => (await waiting('a row')) > 0);
      await admin.query('SELECT pg_advisory_unlock($1)', [HOLD]);
      await syncing;
      const [asset, list] = await Promise.all(reads);
      expect([asset!.status, list!.status]).toEqual([200, 200]);
      for (const res of [asset!, list!]) {
        expect(res.text).toContain('"version":"2.0.0"');
        expect(res.text).toContain('"version":"2.1.0"');
      }
      expect(asset!.headers.get('etag')).toBe(strongEtag(asset!.text));
    } finally {
      await admin.query('DROP TRIGGER IF EXISTS slow_second_release ON versions');
      await admin.end();
    }
    // What the reads stored is the whole object: later reads (not cached) serve both versions too.
    const { rows } = await h.registry.runtime.db.query<{ body: string; body_stale: boolean }>(
      "SELECT body, body_stale FROM assets WHERE namespace = 'lazy' AND name = 'busy'",
    );
    expect(rows[0]!.body_stale).toBe(false);
    expect(rows[0]!.body).toContain('"version":"2.1.0"');
    const status = (await h.get('/api/v1/assets/lazy/busy/status')).json() as {
      versions: { version: string; state: string }[];
    };
    expect(status.versions.map((v) => `${v.version}:${v.state}`)).toEqual([
      '1.0.0:served',
      '2.0.0:served',
      '2.1.0:served',
    ]);
    expect(h.logs.filter((l) => /deadlock/i.test(l))).toEqual([]);
  });
});
