import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { releaseFileNameProblem } from '../../bonsai-schema/file-names.js';
import { RegistryError } from '../errors.js';
import { digestOf } from './digest.js';
import { COMMIT_PATTERN, type Artifacts, type WrittenBytes } from './port.js';
import { processAlive } from '../process-alive.js';

/**
 * Verified copies under `dir/COMMIT/FILE` (Bonsai's CDN layout), served as immutable. A download goes to
 * `dir/.partial/` first; it is published at its path only after its digest matched and its version was
 * saved, and never over a file already there, so a URL's bytes never change.
 */
export async function createMirrorArtifacts(dir: string, publicBase: string): Promise<Artifacts> {
  const partial = path.join(dir, '.partial');
  await fs.mkdir(partial, { recursive: true });
  await removeOrphans(partial);
  const locate = (commit: string, fileName: string) =>
    COMMIT_PATTERN.test(commit) && releaseFileNameProblem(fileName) === undefined
      ? path.join(dir, commit, fileName)
      : undefined;
  return {
    mode: 'mirror',
    description: `mirror to ${dir}, published at ${publicBase}`,
    locate,
    read: (mirrorPath) => readMirrored(dir, mirrorPath),
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
      const mirrorPath = `${commit}/${fileName}`;
      const temp = path.join(partial, `${OWNER}.${randomUUID()}`);
      const stream = createWriteStream(temp);
      const compare = (written: WrittenBytes) => holds(target, written);
      return {
        stream,
        mirrorPath,
        compare,
        async publish(written) {
          try {
            await fs.mkdir(path.dirname(target), { recursive: true });
          } catch (err) {
            await fs.rm(temp, { force: true });
            throw new RegistryError(
              'ARTIFACT_STORE_FAILED',
              `cannot publish ${mirrorPath} in ${dir}: ${(err as Error).message}`,
              { cause: err },
            );
          }
          try {
            // A hard link, unlike a rename, fails when the path is taken: nothing is ever replaced.
            await fs.link(temp, target);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
              // A disk error: the version stays unserved until a later sync publishes its copy.
              throw new RegistryError(
                'ARTIFACT_STORE_FAILED',
                `cannot publish ${mirrorPath} in ${dir}: ${(err as Error).message}`,
                { cause: err },
              );
            }
            if ((await compare(written)) !== 'same') {
              throw new RegistryError('ARTIFACTS_FAILED', `cannot publish ${mirrorPath} in ${dir}`, {
                hint: 'another file took its place meanwhile; the served copy was left as it was',
                cause: err,
              });
            }
          } finally {
            await fs.rm(temp, { force: true });
          }
        },
        async discard() {
          stream.destroy();
          await fs.rm(temp, { force: true });
        },
      };
    },
  };
}

/** The file at `dir/COMMIT/FILE`, or undefined when there is none (or the path is not a mirror path). */
export async function readMirrored(
  dir: string,
  mirrorPath: string,
): Promise<AsyncIterable<Uint8Array> | undefined> {
  const [commit = '', ...rest] = mirrorPath.split('/');
  const fileName = rest.join('/');
  if (!COMMIT_PATTERN.test(commit) || releaseFileNameProblem(fileName) !== undefined) return undefined;
  const file = path.join(dir, commit, fileName);
  const handle = await fs.open(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.code === 'EISDIR') return undefined;
    throw new RegistryError('ARTIFACT_STORE_FAILED', `cannot read ${file}: ${err.message}`, { cause: err });
  });
  if (!handle) return undefined;
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    return undefined;
  }
  return handle.createReadStream({ highWaterMark: 1 << 20 });
}

/** Who writes a partial file: `HOST.PID`, so that a restarted process knows what a dead one left. */
const OWNER = `${hostname().replace(/[^A-Za-z0-9-]/g, '_')}.${process.pid}`;
/** A partial file of another host (a shared DATA_DIR) is an orphan only once no download can still hold it. */
const FOREIGN_ORPHAN_AGE_MS = 24 * 3600 * 1000;

/**
 * Removes the partial files of downloads that died with their process (a crash, a kill -9): this host's
 * files whose process is gone (or is this one: a pid reused after a restart) and, in a folder shared
 * between hosts, anyone's files untouched for a day.
 */
async function removeOrphans(partial: string): Promise<void> {
  const host = OWNER.slice(0, OWNER.lastIndexOf('.'));
  for (const name of await fs.readdir(partial)) {
    const file = path.join(partial, name);
    const owner = /^(.+)\.(\d+)\.[0-9a-f-]{36}$/.exec(name);
    let orphan: boolean;
    if (owner && owner[1] === host)
      orphan = Number(owner[2]) === process.pid || !processAlive(Number(owner[2]));
    else {
      const stat = await fs.stat(file).catch(() => undefined);
      orphan = stat !== undefined && Date.now() - stat.mtimeMs > FOREIGN_ORPHAN_AGE_MS;
    }
    if (orphan) await fs.rm(file, { force: true, recursive: true });
  }
}

/** Whether `file` is absent, holds exactly the bytes described, or other bytes. */
async function holds(file: string, written: WrittenBytes): Promise<'absent' | 'same' | 'different'> {
  const stat = await fs.stat(file).catch((err: NodeJS.ErrnoException) => {
    // ENOTDIR: a file stands where the commit's folder goes, so nothing is at this path.
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
    throw err;
  });
  if (!stat) return 'absent';
  if (!stat.isFile() || stat.size !== written.size) return 'different';
  const held = await digestOf(createReadStream(file, { highWaterMark: 1 << 20 }));
  return held.sha512 === written.sha512 ? 'same' : 'different';
}
