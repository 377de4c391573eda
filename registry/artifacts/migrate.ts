import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { releaseFileNameProblem } from '../../bonsai-schema/file-names.js';
import { RegistryError } from '../errors.js';
import { COMMIT_PATTERN, type WrittenBytes } from './port.js';
import type { ArtifactStore } from './open.js';

export interface MigrateProblem {
  path: string;
  /** `corrupt`: the file's bytes differ from the sha512 recorded at ingest (not copied); `conflict`: the bucket holds other bytes at its key (left as it is). */
  problem: 'corrupt' | 'conflict';
  sha512: string;
  expected_sha512?: string;
}

export interface MigrateReport {
  from: string;
  to: string;
  /** Files found in the folder. */
  files: number;
  copied: number;
  /** Already in the bucket with the same bytes (a second run copies nothing). */
  present: number;
  problems: MigrateProblem[];
}

/**
 * Copies the verified copies of `DATA_DIR/artifacts` (`COMMIT/FILE`) into the bucket under the same keys,
 * through the same write-once path as an ingest: each file is hashed while it is uploaded, its digest is
 * checked against the sha512 recorded at ingest (`recorded`, by mirror path), and it is published only
 * where the bucket holds nothing; identical objects are left as they are, so the copy can be run again.
 */
export async function migrateFolderToBucket(
  folder: string,
  bucket: ArtifactStore,
  recorded: ReadonlyMap<string, string>,
): Promise<MigrateReport> {
  const report: MigrateReport = {
    from: folder,
    to: bucket.description,
    files: 0,
    copied: 0,
    present: 0,
    problems: [],
  };
  const commits = await fs.readdir(folder, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT')
      throw new RegistryError('NOT_FOUND', `there is no artifacts folder at ${folder}`, {
        hint: 'point DATA_DIR at the data of the registry that ran in mirror mode',
      });
    throw err;
  });
  for (const commit of commits
    .filter((d) => d.isDirectory() && COMMIT_PATTERN.test(d.name))
    .map((d) => d.name)
    .sort()) {
    const files = await fs.readdir(path.join(folder, commit), { withFileTypes: true });
    for (const name of files
      .filter((f) => f.isFile() && releaseFileNameProblem(f.name) === undefined)
      .map((f) => f.name)
      .sort()) {
      report.files++;
      const mirrorPath = `${commit}/${name}`;
      const sink = (await bucket.openSink(commit, name))!;
      let written: WrittenBytes;
      try {
        written = await upload(path.join(folder, commit, name), sink.stream);
      } catch (err) {
        await sink.discard();
        throw err;
      }
      const expected = recorded.get(mirrorPath);
      if (expected !== undefined && expected !== written.sha512) {
        await sink.discard();
        report.problems.push({
          path: mirrorPath,
          problem: 'corrupt',
          sha512: written.sha512,
          expected_sha512: expected,
        });
        continue;
      }
      const held = await sink.compare(written);
      if (held === 'absent') {
        await sink.publish(written);
        report.copied++;
      } else {
        await sink.discard();
        if (held === 'same') report.present++;
        else report.problems.push({ path: mirrorPath, problem: 'conflict', sha512: written.sha512 });
      }
    }
  }
  return report;
}

/** Streams a file into `sink` while hashing it. */
async function upload(file: string, sink: NodeJS.WritableStream): Promise<WrittenBytes> {
  const hash = createHash('sha512');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), measure, sink);
  return { sha512: hash.digest('hex'), size };
}
