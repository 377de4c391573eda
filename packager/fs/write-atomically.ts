import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes `text` to `file` (relative to `cwd`) through a temporary file in the same folder and a rename,
 * so readers never see half a file and a failure leaves nothing behind. Returns the path as given.
 */
export async function writeFileAtomically(cwd: string, file: string, text: string): Promise<string> {
  const target = path.resolve(cwd, file);
  const temporary = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`,
  );
  try {
    await writeFile(temporary, text, { flag: 'wx' });
    await rename(temporary, target);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
  return file;
}
