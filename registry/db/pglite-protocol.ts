import type { QueryResult, SqlValue } from './port.js';

/**
 * The messages between the PGlite thread (pglite-worker.ts) and its proxy (pglite-thread.ts). Every
 * request carries an id its answer repeats. Parameters and rows cross by structured clone, which keeps
 * Dates, Uint8Arrays and BigInts as they are.
 */
export type PgliteRequest =
  | { id: number; kind: 'open'; dir: string }
  /** `tx`: the id of the `begin` whose transaction runs the statement; none for the database itself. */
  | { id: number; kind: 'query'; sql: string; params: readonly SqlValue[]; tx?: number }
  /** Answered once the transaction holds the database (PGlite runs one at a time). */
  | { id: number; kind: 'begin' }
  | { id: number; kind: 'end'; tx: number; commit: boolean }
  | { id: number; kind: 'close' };

export type PgliteAnswer =
  | { id: number; kind: 'done'; result?: QueryResult<object> }
  | { id: number; kind: 'failed'; error: SerializedDbError };

/** An error's name, message and its scalar fields (SQLSTATE `code`, `constraint`, `detail`...). */
export interface SerializedDbError {
  name: string;
  message: string;
  fields: Record<string, string | number | boolean>;
}

/** Structured clone keeps only an error's name and message: the fields callers read are copied here. */
export function serializeDbError(err: unknown): SerializedDbError {
  if (!(err instanceof Error)) {
    // PGlite's file errors are Emscripten ErrnoError objects, not Errors: keep their name and errno.
    const { name, errno } = (err ?? {}) as { name?: unknown; errno?: unknown };
    if (typeof name === 'string' && typeof errno === 'number')
      return { name, message: '', fields: { errno } };
    return { name: 'Error', message: String(err), fields: {} };
  }
  const fields: SerializedDbError['fields'] = {};
  for (const [key, value] of Object.entries(err)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      fields[key] = value;
  }
  return { name: err.name, message: err.message, fields };
}

export function deserializeDbError(error: SerializedDbError): Error {
  const err = Object.assign(new Error(error.message), error.fields);
  err.name = error.name;
  return err;
}
