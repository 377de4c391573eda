import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { RegistryError } from '../errors.js';
import { releaseFileNameProblem } from '../../bonsai-schema/file-names.js';
import { COMMIT_PATTERN, type Artifacts } from './port.js';

/**
 * Verified copies under `dir/COMMIT/FILE` (Bonsai's CDN layout). A download goes to `dir/.partial/`
 * first and is renamed into place only after its digest matched, so a half-written or wrong file is
 * never published.
 */
export async function createMirrorArtifacts(dir: string, publicBase: string): Promise<Artifacts> {
  const partial = path.join(dir, '.partial');
  await fs.mkdir(partial, { recursive: true });
  const locate = (commit: string, fileName: string) =>
    COMMIT_PATTERN.test(commit) && releaseFileNameProblem(fileName) === undefined
      ? path.join(dir, commit, fileName)
      : undefined;
  return {
    mode: 'mirror',
    description: `mirror to ${dir}, published at ${publicBase}`,
    locate,
    async openSink(commit, fileName) {
      const target = locate(commit, fileName);
      if (!target) {
        throw new RegistryError(
          'ARTIFACTS_FAILED',
          `cannot mirror ${JSON.stringify(fileName)} of ${commit}`,
          {
            hint: 'release file names must be plain file names',
          },
        );
      }
      const temp = path.join(partial, randomUUID());
      const stream = createWriteStream(temp);
      return {
        stream,
        async keep() {
          await fs.mkdir(path.dirname(target), { recursive: true });
          await fs.rename(temp, target);
          return `${commit}/${fileName}`;
        },
        async discard() {
          stream.destroy();
          await fs.rm(temp, { force: true });
        },
      };
    },
  };
}
