import { createHash } from 'node:crypto';
import type { WrittenBytes } from './port.js';

/** The sha512 and size of a stream of bytes (a file, an object in the bucket), read to its end. */
export async function digestOf(bytes: AsyncIterable<Uint8Array>): Promise<WrittenBytes> {
  const hash = createHash('sha512');
  let size = 0;
  for await (const chunk of bytes) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha512: hash.digest('hex'), size };
}
