import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../registry/db/port.js';
import { openTestDb, type TestDb } from './support/databases.js';

/**
 * On Postgres, statements with parameters run prepared (registry/db/postgres.ts). A process that keeps
 * running while another migrates the database under it must go on answering, with the new columns.
 */
describe('prepared statements on Postgres', () => {
  let t: TestDb;
  let other: Db;
  beforeAll(async () => {
    t = await openTestDb('postgres');
    other = await t.reopen();
    await t.db.query('CREATE TABLE widgets (id int PRIMARY KEY, name text NOT NULL)');
    await t.db.query('INSERT INTO widgets (id, name) VALUES ($1, $2), ($3, $4)', [1, 'one', 2, 'two']);
  });
  afterAll(async () => {
    await other?.close();
    await t?.cleanup();
  });

  it('answers the same statement again after another process changed its columns', async () => {
    const read = (id: number) => t.db.query('SELECT * FROM widgets WHERE id = $1', [id]);
    expect((await read(1)).rows).toEqual([{ id: 1, name: 'one' }]);
    await other.query("ALTER TABLE widgets ADD COLUMN color text NOT NULL DEFAULT 'red'");
    for (const id of [1, 2, 1]) {
      expect((await read(id)).rows).toEqual([{ id, name: id === 1 ? 'one' : 'two', color: 'red' }]);
    }
  });
});
