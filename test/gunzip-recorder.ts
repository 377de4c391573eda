import type * as nodeZlib from 'node:zlib';
import type { Gunzip, ZlibOptions } from 'node:zlib';

/** Every gunzip created through `recordingZlib`, to check that none is left holding its zlib handle. */
export const openedGunzips: Gunzip[] = [];

/**
 * node:zlib with a createGunzip that records what it creates. For `vi.mock('node:zlib', async (original) =>
 * (await import('.../gunzip-recorder.js')).recordingZlib(await original()))`.
 */
export function recordingZlib(zlib: typeof nodeZlib): typeof nodeZlib {
  return {
    ...zlib,
    createGunzip: (options?: ZlibOptions) => {
      const gunzip = zlib.createGunzip(options);
      openedGunzips.push(gunzip);
      return gunzip;
    },
  };
}
