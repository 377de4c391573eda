import { PackagerError } from '../errors.js';

/** The mtime of every archive entry when SOURCE_DATE_EPOCH is not set: the epoch, as `--mtime=@0`. */
export const DEFAULT_MTIME = new Date(0);

/** The largest mtime a ustar header holds (11 octal digits of seconds). */
const MAX_USTAR_SECONDS = 8 ** 11 - 1;

/**
 * The entry mtime from SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/):
 * integer seconds since the epoch. Anything else is refused rather than silently ignored.
 */
export function sourceDateEpoch(env: Readonly<Record<string, string | undefined>>): Date {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return DEFAULT_MTIME;
  const seconds = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds > MAX_USTAR_SECONDS) {
    throw new PackagerError(
      'SOURCE_DATE_EPOCH_INVALID',
      `SOURCE_DATE_EPOCH=${JSON.stringify(raw)} is not a whole number of seconds since 1970 (at most ${MAX_USTAR_SECONDS})`,
      { hint: 'set it to e.g. $(git log -1 --format=%ct), or unset it to use 0' },
    );
  }
  return new Date(seconds * 1000);
}
