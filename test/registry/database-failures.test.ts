import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb } from './support/databases.js';
import { startHarness, type Harness } from './support/harness.js';
import { POSTGRES_ADMIN_URL } from './support/postgres.js';

/** What a request sees when the database fails under it: Bonsai's error bodies, never a stack. */

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  err?: { message?: string; code?: string };
}

function logged(h: Harness, requestId: string): LogLine[] {
  return h.logs
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.requestId === requestId && l.level >= 50);
}

describe('a Postgres transaction whose connection dies', () => {
  it('fails with DATABASE_FAILED, and the pool goes on with a new connection', async () => {
    const t = await openTestDb('postgres');
    try {
      await expect(
        t.db.transaction((tx) => tx.query('SELECT pg_terminate_backend(pg_backend_pid())')),
      ).rejects.toMatchObject({
        code: 'DATABASE_FAILED',
        message: expect.stringContaining('the database connection failed: terminating connection'),
      });
      expect((await t.db.transaction((tx) => tx.query('SELECT 1 AS one'))).rows).toEqual([{ one: 1 }]);
    } finally {
      await t.cleanup();
    }
  });
});

describe('requests while the database fails', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ db: 'postgres' });
    h.gh.state.createRepo('fail/check');
    await h.addRepo('fail/check');
  });
  afterAll(() => h?.close());

  it('answer INTERNAL 500 with the request id when a statement fails', async () => {
    // The schema changed behind the registry's back: a bug as far as the request can tell.
    await h.registry.runtime.db.query('ALTER TABLE assets RENAME COLUMN body TO body_moved');
    try {
      const res = await h.get('/api/v1/assets', { 'x-request-id': 'broken-query-1' });
      expect(res.status).toBe(500);
      expect(res.text).toBe(
        '{"error_code":"INTERNAL","error_messages":["internal error (request id broken-query-1); see the registry log"]}',
      );
      expect(logged(h, 'broken-query-1')).toEqual([
        expect.objectContaining({
          msg: 'request failed',
          err: expect.objectContaining({ message: expect.stringContaining('body') }),
        }),
      ]);
    } finally {
      await h.registry.runtime.db.query('ALTER TABLE assets RENAME COLUMN body_moved TO body');
    }
  });

  it('answer DATABASE_FAILED 503 when the database goes away', async () => {
    expect((await h.get('/api/v1/assets/fail/check')).status).toBe(200);
    const name = new URL(h.env.DATABASE_URL!).pathname.slice(1);
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    // Not cached: /status is read from the database at each request.
    const res = await h.get('/api/v1/assets/fail/check/status', { 'x-request-id': 'db-gone-1' });
    expect(res.status).toBe(503);
    expect(res.text).toBe(
      '{"error_code":"DATABASE_FAILED","error_messages":["the registry\'s database is unavailable (request id db-gone-1); try again later"]}',
    );
    expect(logged(h, 'db-gone-1')).toEqual([
      expect.objectContaining({
        msg: expect.stringContaining('the database connection failed'),
        err: expect.objectContaining({ code: 'DATABASE_FAILED' }),
      }),
    ]);
    const health = await h.get('/healthz');
    expect(health.status).toBe(503);
    expect(health.json()).toMatchObject({ status: 'degraded', database: { kind: 'postgres' } });
  });
});
