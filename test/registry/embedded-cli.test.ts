import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bonsai } from '../cli/run-cli.js';
import { publish } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';

/**
 * Embedded defaults (PGlite under DATA_DIR, no ADMIN_TOKEN): while `serve` runs, `add-repo`, `sync` and
 * `status` in the same DATA_DIR go through the running server (DATA_DIR/serve.json, mode 0600) instead
 * of refusing because the database is in use.
 */

let h: Harness;
let dataDir: string;
const cli = (args: string[]) => bonsai(['registry', ...args], { env: { DATA_DIR: dataDir }, cwd: dataDir });

beforeAll(async () => {
  h = await startHarness({ env: { ADMIN_TOKEN: '' } });
  dataDir = h.env.DATA_DIR!;
  h.gh.state.createRepo('acme/check-embedded');
  await publish(h.gh, 'acme/check-embedded', '1.0.0');
});
afterAll(() => h?.close());

describe('the CLI beside an embedded serve', () => {
  it('finds the server through DATA_DIR/serve.json, readable by its owner only', async () => {
    const file = path.join(dataDir, 'serve.json');
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    const server = JSON.parse(await fs.readFile(file, 'utf8')) as { url: string; token: string };
    expect(server.url).toBe(h.url.replace('localhost', '127.0.0.1'));
    // The token is an admin token of that server only.
    const res = await h.get('/api/v1/registry/status', { authorization: `Bearer ${server.token}` });
    expect(res.status).toBe(200);
    expect((await h.get('/api/v1/registry/status', { authorization: 'Bearer guess' })).status).toBe(401);
  });

  it('add-repo registers through the server, which syncs it', async () => {
    const added = await cli(['add-repo', 'acme/check-embedded', '--tier', 'Supported']);
    expect(added.stderr).toContain('the registry running at http://127.0.0.1:');
    expect(added.code).toBe(0);
    const jobId = Number(
      /^registered acme\/check-embedded \(sync job (\d+) queued\)\n$/.exec(added.stdout)?.[1],
    );
    await h.waitForJob(jobId);
    expect((await h.get('/api/v1/assets/acme/check-embedded/1.0.0/release_asset_builds')).status).toBe(200);
    const { rows } = await h.registry.runtime.db.query<{ actor: string; action: string }>(
      "SELECT actor, action FROM audit_log WHERE target = 'acme/check-embedded'",
    );
    expect(rows).toEqual([{ actor: expect.stringMatching(/^cli:\S+$/), action: 'repo.register' }]);
  });

  it('sync runs the job on the server, waits for it and prints each version', async () => {
    await publish(h.gh, 'acme/check-embedded', '1.1.0');
    const synced = await cli(['sync', 'acme/check-embedded']);
    expect(synced.stderr).toBe('');
    expect(synced.code).toBe(0);
    expect(synced.stdout).toMatch(
      /^acme\/check-embedded: sync job \d+ done on the registry at http:\/\/127\.0\.0\.1:\d+\n/,
    );
    expect(synced.stdout).toMatch(/ {2}1\.1\.0 {2}served {2}[0-9a-f]{12}\n/);
    expect((await h.get('/api/v1/assets/acme/check-embedded/1.1.0/release_asset_builds')).status).toBe(200);
    const unknown = await cli(['sync', 'acme/nothing-here']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('[NOT_FOUND]: acme/nothing-here is not registered');
    const forced = await cli(['sync', 'acme/check-embedded', '--force']);
    expect(forced.code).toBe(3);
    expect(forced.stderr).toContain('--force is not available while serve runs');
  });

  it('status reads through the server, one asset or all', async () => {
    const one = await cli(['status', 'acme/check-embedded']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^acme\/check-embedded {2}\(/);
    expect(one.stdout).toContain('  1.0.0  served');
    const all = await cli(['status']);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^acme\/check-embedded {2}2 served, 0 failing, 0 removed; last sync \d{4}-/);
    expect(all.stdout).toMatch(/\njobs: 0 pending, 0 running, 0 failed, \d+ done\n$/);
  });

  it('once serve stops, the file is gone and the CLI opens DATA_DIR itself; a stale file is ignored', async () => {
    await h.stopRegistry();
    await expect(fs.stat(path.join(dataDir, 'serve.json'))).rejects.toThrow(/ENOENT/);
    // A crashed server's file (its process is gone) does not send the CLI anywhere.
    await fs.writeFile(
      path.join(dataDir, 'serve.json'),
      JSON.stringify({ url: 'http://127.0.0.1:9', token: 'x', pid: 2 ** 22 + 12345 }),
      { mode: 0o600 },
    );
    const all = await cli(['status']);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('acme/check-embedded  2 served');
    await fs.rm(path.join(dataDir, 'serve.json'));
    await h.startRegistry();
  });
});
