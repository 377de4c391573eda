import type { Command } from 'commander';
import {
  DEFAULT_MAX_ARCHIVE_ENTRIES,
  DEFAULT_MAX_UNPACKED_SIZE,
} from '../../bonsai-schema/archive-defaults.js';
import type { ArchiveLimits } from '../../bonsai-schema/archive-lister.js';
import { UsageError } from '../../common/usage-error.js';

/** The flags of the archive bounds, as the registry's MAX_ARCHIVE_ENTRIES and MAX_UNPACKED_SIZE settings. */
export interface ArchiveLimitOptions {
  maxEntries?: string;
  maxUnpackedSize?: string;
}

/** Adds `--max-entries` and `--max-unpacked-size` (same defaults as the registry, so check agrees with ingest). */
export function archiveLimitOptions(command: Command): Command {
  return command
    .option(
      '--max-entries <n>',
      `Stop reading an archive past this many entries (the registry's MAX_ARCHIVE_ENTRIES; default ${DEFAULT_MAX_ARCHIVE_ENTRIES}).`,
    )
    .option(
      '--max-unpacked-size <bytes>',
      `Stop reading an archive that unpacks past this size (the registry's MAX_UNPACKED_SIZE; default ${DEFAULT_MAX_UNPACKED_SIZE}).`,
    );
}

export function archiveLimits(options: ArchiveLimitOptions): ArchiveLimits {
  const limits: ArchiveLimits = {};
  if (options.maxEntries !== undefined) limits.maxEntries = wholeNumber('--max-entries', options.maxEntries);
  if (options.maxUnpackedSize !== undefined)
    limits.maxUnpackedSize = wholeNumber('--max-unpacked-size', options.maxUnpackedSize);
  return limits;
}

/** A flag's value as a whole number, 1 or more; else a usage error naming the flag. */
export function wholeNumber(flag: string, value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag} must be a whole number, 1 or more (got ${JSON.stringify(value)})`);
  return n;
}
