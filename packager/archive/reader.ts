import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ArchiveLister, type ArchiveLimits } from '../../bonsai-schema/archive-lister.js';
import type { ArchiveContent, ArchiveEntryInfo, ArchiveFormat } from '../../bonsai-schema/archive-rules.js';

export interface ArchiveReading {
  format: ArchiveFormat;
  /** Bytes in the file. */
  size: number;
  /** Lowercase hex sha512 of the whole file (computed even when the content cannot be parsed). */
  sha512: string;
  /** The tar's entries in archive order; empty when the format is not one the agent reads. */
  entries: readonly ArchiveEntryInfo[];
  /** Why the content could not be read as a tar (a truncated gzip, a gzip of something else...). */
  corrupt?: string;
  /** The bound (MAX_ARCHIVE_ENTRIES, MAX_UNPACKED_SIZE) that stopped the listing; entries are those before it. */
  limit?: ArchiveContent['limit'];
}

const READ_CHUNK = 1 << 20;

/**
 * Reads an archive as the agent would, in one pass over the file: the sha512 of every byte, and the
 * format and entry headers as bonsai-schema's lister finds them (the registry lists downloads the same way).
 */
export async function readArchive(file: string, limits: ArchiveLimits = {}): Promise<ArchiveReading> {
  const hash = createHash('sha512');
  let size = 0;
  const lister = new ArchiveLister(limits);
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK })) {
      const bytes = chunk as Buffer;
      size += bytes.length;
      hash.update(bytes);
      // Past a bound the listing stopped; the rest is only hashed.
      if (!lister.stopped) await lister.write(bytes);
    }
  } catch (err) {
    lister.destroy();
    throw err;
  }
  const content = await lister.end();
  return { ...content, size, sha512: hash.digest('hex') };
}
