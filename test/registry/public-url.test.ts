import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publish } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { freePort } from './support/ports.js';
import { answeredOrWaiting } from './support/postgres.js';

/** A restart with another PUBLIC_URL: every stored definition is rendered again before any is served. */

const NEW_URL = 'https://bonsai-renamed.example.com';
const DEFINITION = '/api/v1/assets/moved/check-url/1.0.0/release_asset_builds';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ db: 'postgres' });
  h.gh.state.createRepo('moved/check-url');
  await publish(h.gh, 'moved/check-url', '1.0.0');
  await h.addRepo('moved/check-url');
});
afterAll(() => h?.close());

/** GET on a registry that may not listen yet: a refused connection is tried again. */
async function getWhenListening(url: string): Promise<string> {
  for (;;) {
    try {
      return await (await fetch(url)).text();
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

describe('a restart with another PUBLIC_URL', () => {
  it('serves no definition with the old URLs while it renders them again', async () => {
    const oldUrl = h.registry.runtime.urls.publicUrl;
    expect((await h.get(DEFINITION)).text).toContain(`"io.sensu.bonsai.api_url":"${oldUrl}/api/v1/`);
    await h.stopRegistry();

    // Another session holds the assets table, so the re-render at start waits for it.
    const blocker = new pg.Client({ connectionString: h.env.DATABASE_URL });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE assets IN EXCLUSIVE MODE');
      const port = await freePort();
      const started = h.startRegistry({ PORT: String(port), PUBLIC_URL: NEW_URL });
      await answeredOrWaiting(started, blocker);
      const answer = getWhenListening(`http://127.0.0.1:${port}${DEFINITION}`);
      // A registry that serves before its re-render answers now, with the old URLs.
      await Promise.race([answer, new Promise((r) => setTimeout(r, 1_000))]);
      await blocker.query('COMMIT');
      await started;
      const body = await answer;
      expect(body).toContain(`"io.sensu.bonsai.api_url":"${NEW_URL}/api/v1/assets/moved/check-url"`);
      expect(body).not.toContain(oldUrl);
    } finally {
      await blocker.end();
    }
  });
});
