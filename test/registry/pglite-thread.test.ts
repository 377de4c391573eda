import fs from 'node:fs/promises';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPglite } from '../../registry/db/pglite.js';
import { openPgliteThread } from '../../registry/db/pglite-thread.js';
import type { Db, Queryable } from '../../registry/db/port.js';
import { isUniqueViolation } from '../../registry/db/sql-errors.js';
import { RegistryError } from '../../registry/errors.js';
import { makeTempDir } from './support/databases.js';
import { publish } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';

/**
 * The server runs embedded PGlite on a thread of its own (issue 12): a statement that takes long holds
 * that thread, never the loop that answers cached requests. One registry for the whole file; the
 * transaction tests use a table of their own in its database.
 */

const DEFINITION = '/api/v1/assets/slow/check-a/1.0.0/release_asset_builds';

/** Rejects with what `promise` rejected with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (err: unknown) => err as Error,
  );
}

/** A transaction's handle kept past its end refuses statements, with or without parameters. */
async function expectClosedTransaction(db: Db): Promise<void> {
  let leaked: Queryable | undefined;
  await db.transaction(async (tx) => {
    leaked = tx;
  });
  for (const [sql, params] of [
    ['SELECT 1', []],
    ['SELECT $1::int', [1]],
  ] as const) {
    const err = await rejection(leaked!.query(sql, params));
    expect(err.message).toBe('Transaction is closed');
  }
}

describe('embedded PGlite on its own thread', () => {
  let h: Harness;
  let db: Db;
  let dataDir: string;
  beforeAll(async () => {
    h = await startHarness();
    dataDir = h.env.DATA_DIR!;
    h.gh.state.createRepo('slow/check-a');
    await publish(h.gh, 'slow/check-a', '1.0.0');
    await h.addRepo('slow/check-a');
    db = h.registry.runtime.db;
    await db.query('CREATE TABLE thread_test (k int PRIMARY KEY, at timestamptz)');
  });
  afterAll(() => h?.close());

  it('answers a cached request while a slow statement holds the database', async () => {
    expect((await h.get(DEFINITION)).status).toBe(200);
    let slowDone = false;
    const slow = db.query('SELECT pg_sleep(2)').then(() => (slowDone = true));
    const hit = await h.get(DEFINITION);
    expect(hit.status).toBe(200);
    expect(slowDone).toBe(false);
    await slow;
  });

  it('rolls a transaction back when its callback throws, with the callback’s error', async () => {
    const thrown = new Error('changed my mind');
    const err = await rejection(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO thread_test (k) VALUES (1)');
        throw thrown;
      }),
    );
    expect(err).toBe(thrown);
    expect((await db.query('SELECT k FROM thread_test WHERE k = 1')).rowCount).toBe(0);
  });

  it('commits, and other statements wait until the transaction ends', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inside!: () => void;
    const begun = new Promise<void>((resolve) => (inside = resolve));
    const tx = db.transaction(async (t) => {
      await t.query('INSERT INTO thread_test (k) VALUES ($1)', [2]);
      inside();
      await held;
      return 'committed';
    });
    await begun;
    let outsideDone = false;
    const outside = db.query<{ k: number }>('SELECT k FROM thread_test WHERE k = $1', [2]).then((r) => {
      outsideDone = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(outsideDone).toBe(false);
    release();
    expect(await tx).toBe('committed');
    expect((await outside).rows).toEqual([{ k: 2 }]);
  });

  it('hands back SQL errors with their SQLSTATE, and Dates as Dates', async () => {
    const at = new Date('2024-05-06T07:08:09.123Z');
    expect(await db.query('INSERT INTO thread_test (k, at) VALUES (3, $1) RETURNING at', [at])).toEqual({
      rows: [{ at }],
      rowCount: 1,
    });
    // With parameters (a prepared statement) and without (as PGlite runs it).
    for (const [sql, params] of [
      ['INSERT INTO thread_test (k) VALUES ($1)', [3]],
      ['INSERT INTO thread_test (k) VALUES (3)', []],
    ] as const) {
      const err = await rejection(db.query(sql, params));
      expect(isUniqueViolation(err)).toBe(true);
      expect(err.message).toContain('duplicate key');
      expect(err).toMatchObject({ constraint: 'thread_test_pkey' });
    }
    // A failed statement inside a transaction rolls the whole of it back.
    const inTx = await rejection(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO thread_test (k) VALUES ($1)', [4]);
        await tx.query('INSERT INTO thread_test (k) VALUES ($1)', [3]);
      }),
    );
    expect(isUniqueViolation(inTx)).toBe(true);
    expect((await db.query('SELECT k FROM thread_test WHERE k = 4')).rowCount).toBe(0);
  });

  it('runs more distinct statements than it keeps prepared, and statements on a table whose columns changed', async () => {
    for (let n = 0; n < 250; n++)
      expect((await db.query(`SELECT $1::int + ${n} AS n`, [1])).rows).toEqual([{ n: n + 1 }]);
    expect((await db.query('SELECT $1::int + 0 AS n', [2])).rows).toEqual([{ n: 2 }]);
    const read = () => db.query('SELECT * FROM thread_test WHERE k = $1', [3]);
    expect((await read()).rows).toEqual([{ k: 3, at: expect.any(Date) }]);
    await db.query('ALTER TABLE thread_test ADD COLUMN note text');
    expect((await read()).rows).toEqual([{ k: 3, at: expect.any(Date), note: null }]);
  });

  it('refuses a statement on a transaction that ended', async () => {
    await expectClosedTransaction(db);
  });

  it('refuses a second open of the same DATA_DIR, on either thread', async () => {
    for (const open of [openPgliteThread, openPglite]) {
      const err = await rejection(open(dataDir));
      expect(err).toBeInstanceOf(RegistryError);
      expect(err).toMatchObject({
        code: 'DATABASE_IN_USE',
        message: `the embedded database in ${dataDir} is open in process ${process.pid} (this one)`,
      });
    }
  });

  // Last: stops the registry.
  it('fails pending and later statements with a coded error when the thread dies; close removes the lock', async () => {
    await h.stopRegistry();
    await expect(fs.access(path.join(dataDir, 'pglite.lock'))).rejects.toThrow();
    let worker!: Worker;
    const reopened = await openPgliteThread(dataDir, { onStart: (w) => (worker = w) });
    const pending = reopened.query('SELECT pg_sleep(5)');
    await worker.terminate();
    const err = await rejection(pending);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({ code: 'DATABASE_FAILED' });
    expect(err.message).toContain(`the embedded database in ${path.join(dataDir, 'pglite')} stopped`);
    expect(await rejection(reopened.query('SELECT 1'))).toBe(err);
    await reopened.close();
    await expect(fs.access(path.join(dataDir, 'pglite.lock'))).rejects.toThrow();
  });

  it('runs statements in the CLI’s thread as on its own (after the registry stopped)', async () => {
    const inThread = await openPglite(dataDir);
    try {
      expect((await inThread.query('SELECT k, at FROM thread_test WHERE k = $1', [3])).rows).toEqual([
        { k: 3, at: new Date('2024-05-06T07:08:09.123Z') },
      ]);
      await expectClosedTransaction(inThread);
    } finally {
      await inThread.close();
    }
  });
});

describe('opening embedded PGlite', () => {
  it.each([
    ['on its own thread', openPgliteThread],
    ["on the caller's thread", openPglite],
  ])(
    '%s: reports DATABASE_FAILED, saying why, and releases the lock when PGlite cannot start',
    async (_, open) => {
      const dataDir = await makeTempDir();
      try {
        // A file where PGlite's folder should be.
        await fs.writeFile(path.join(dataDir, 'pglite'), 'not a database');
        const err = await rejection(open(dataDir));
        expect(err).toBeInstanceOf(RegistryError);
        expect(err).toMatchObject({ code: 'DATABASE_FAILED' });
        expect(err.message).toMatch(
          new RegExp(
            `^cannot open the embedded database in ${path.join(dataDir, 'pglite')}: not a directory$`,
          ),
        );
        await expect(fs.access(path.join(dataDir, 'pglite.lock'))).rejects.toThrow();
      } finally {
        await fs.rm(dataDir, { recursive: true, force: true });
      }
    },
    // PGlite fails only once it has started in memory (as long as a good open, or longer): 25-36 s seen on a
    // loaded 2-core machine, against the usual 45 s bound on a hung test.
    90_000,
  );
});
