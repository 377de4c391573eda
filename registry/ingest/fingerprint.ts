import { createHash } from 'node:crypto';
import type { ReleaseFile } from '../github/port.js';

/**
 * What a release's ingest depends on: the tag's commit (bonsai.yml and the code) and the attached files
 * (a re-upload changes a file's id or update time), and the namespace's signing keys when signatures are
 * required (adding or revoking a key re-judges every version). Equal fingerprints mean an ingest would do
 * the same. Without a key policy the fingerprint is what it always was.
 */
export function releaseFingerprint(
  commit: string | null,
  files: readonly ReleaseFile[],
  keyPolicy?: string,
): string {
  const parts = [...files].map((f) => `${f.name}\u0000${f.id}\u0000${f.size}\u0000${f.updatedAt}`).sort();
  return createHash('sha256')
    .update(JSON.stringify(keyPolicy === undefined ? [commit, parts] : [commit, parts, keyPolicy]))
    .digest('hex');
}
