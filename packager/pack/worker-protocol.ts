import type { TreeEntry } from '../archive/tree.js';
import type { WrittenArchive } from '../archive/writer.js';

/** One archive for a worker to write: writeTarGz's arguments, as structured clone carries them. */
export interface ArchiveJob {
  id: number;
  /** Each file's `stats` arrives as a plain object: writeTarGz reads only its `size`. */
  entries: readonly TreeEntry[];
  destination: string;
  mtime: Date;
}

/** What a worker posts back: running byte counts while it reads, then the written archive or the error. */
export type ArchiveJobMessage =
  | { id: number; kind: 'read'; total: number }
  | ({ id: number; kind: 'done'; total: number } & WrittenArchive)
  | { id: number; kind: 'failed'; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

/** Structured clone drops an error's `code` (ENOENT...), which the PACK_WRITE_FAILED message shows. */
export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const code = (err as NodeJS.ErrnoException).code;
  return {
    name: err.name,
    message: err.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(err.stack !== undefined ? { stack: err.stack } : {}),
  };
}

export function deserializeError(error: SerializedError): Error {
  const err: NodeJS.ErrnoException = new Error(error.message);
  err.name = error.name;
  if (error.code !== undefined) err.code = error.code;
  if (error.stack !== undefined) err.stack = error.stack;
  return err;
}
