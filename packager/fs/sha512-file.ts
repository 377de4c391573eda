import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** The lowercase hex sha512 of a file, streamed (archives may be large). */
export async function sha512File(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
