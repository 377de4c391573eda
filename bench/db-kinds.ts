import { DB_KINDS, type DbKind } from '../test/registry/support/databases.js';

/** The databases named by the `--db pglite|postgres|both` option of the benches that measure the store. */
export function dbKindsOption(value: string): DbKind[] {
  if (value === 'both') return [...DB_KINDS];
  if (value === 'pglite' || value === 'postgres') return [value];
  throw new Error('--db must be pglite, postgres or both');
}
