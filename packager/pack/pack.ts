import { copyFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { formatChecksums, SIGNATURE_SUFFIX, type PlannedBuild } from '../../bonsai-schema/index.js';
import { collectTree, type TreeEntry } from '../archive/tree.js';
import { writeTarGz } from '../archive/writer.js';
import { PackagerError, isPackagerError, packRefused } from '../errors.js';
import { ArchiveWorkers } from './archive-workers.js';
import { OutputBatch } from './output.js';
import { planPack, type PlannedArchive } from './plan.js';

export interface PackOptions {
  /** The project folder (absolute). */
  dir: string;
  /** The output folder (absolute); created when missing. */
  out: string;
  /** The builds of bonsai.yml with their file names interpolated (planRelease). */
  builds: readonly PlannedBuild[];
  /** Every entry's mtime. */
  mtime: Date;
  /** How a path is shown in messages. */
  show: (absolutePath: string) => string;
  onProgress?: (progress: PackProgress) => void;
  /**
   * Archives written at once: this thread writes one, worker threads the others (default: the CPUs
   * available; 1 below SMALL_PACK bytes). 1 writes them one after another on this thread. The bytes
   * are the same whatever the number.
   */
  concurrency?: number;
  /** Signs a checksum file's bytes: its `.minisig` text is written beside it, in the same batch. */
  sign?: (fileName: string, bytes: Buffer) => string;
}

export interface PackProgress {
  bytesRead: number;
  bytesTotal: number;
  archivesDone: number;
  archivesTotal: number;
}

export interface PackedArchive {
  fileName: string;
  path: string;
  size: number;
  sha512: string;
  builds: { number: number; platform: string; arch: string }[];
}

export interface PackResult {
  archives: PackedArchive[];
  checksumFiles: { fileName: string; path: string; archives: string[]; signature?: string }[];
}

/**
 * Packs every build of a project: checks every tree first (nothing is written when any is refused),
 * compresses each distinct content once (builds sharing the project's bin/ get byte-identical archives,
 * so the first is copied), writes the goreleaser checksum files, and renames everything into place
 * only when all of it is complete.
 */
export async function packProject(options: PackOptions): Promise<PackResult> {
  const plan = planPack(options.dir, options.builds, options.show);
  const groups = groupByContent(plan.archives);
  const trees = collectTrees(groups, options.show);
  const bytesOf = new Map([...trees].map(([root, entries]) => [root, fileBytes(entries)]));
  const bytesTotal = [...bytesOf.values()].reduce((sum, bytes) => sum + bytes, 0);

  const wanted = options.concurrency ?? (bytesTotal < SMALL_PACK ? 1 : availableParallelism());
  const concurrency = Math.max(1, Math.min(wanted, groups.length));
  // This thread is one of the writers (its modules are loaded already): one worker fewer to start.
  const workers = concurrency > 1 ? new ArchiveWorkers() : undefined;
  const batch = new OutputBatch(options.out);
  const progress: PackProgress = {
    bytesRead: 0,
    bytesTotal,
    archivesDone: 0,
    archivesTotal: plan.archives.length,
  };
  try {
    await batch.open();
    const written = new Map<string, { size: number; sha512: string }>();
    // Largest first, so that no large archive is left to compress alone at the end (the bytes of each
    // archive do not depend on the order).
    const bySize = [...groups].sort(
      (a, b) => bytesOf.get(b[0]!.contentRoot)! - bytesOf.get(a[0]!.contentRoot)!,
    );
    await runLimited(bySize, concurrency, async (group, lane) => {
      const entries = trees.get(group[0]!.contentRoot)!;
      const first = batch.tempFor(group[0]!.fileName);
      let readBefore = 0;
      const write = lane === 0 || !workers ? writeTarGz : workers.write.bind(workers);
      const result = await write(entries, first, {
        mtime: options.mtime,
        onBytesRead: (total) => {
          progress.bytesRead += total - readBefore;
          readBefore = total;
          options.onProgress?.(progress);
        },
      });
      for (const archive of group) {
        if (archive !== group[0]) await copyFile(first, batch.tempFor(archive.fileName));
        written.set(archive.fileName, result);
        progress.archivesDone++;
        options.onProgress?.(progress);
      }
    });

    const archives: PackedArchive[] = plan.archives.map((a) => ({
      fileName: a.fileName,
      path: batch.finalPath(a.fileName),
      ...written.get(a.fileName)!,
      builds: a.builds.map((b) => ({ number: b.number, platform: b.platform, arch: b.arch })),
    }));
    for (const checksum of plan.checksumFiles) {
      const text = formatChecksums(
        checksum.archives.map((name) => ({ name, sha512: written.get(name)!.sha512 })),
      );
      await writeFile(batch.tempFor(checksum.fileName), text);
      if (options.sign) {
        const signature = options.sign(checksum.fileName, Buffer.from(text));
        await writeFile(batch.tempFor(checksum.fileName + SIGNATURE_SUFFIX), signature);
      }
    }
    await batch.commit();
    return {
      archives,
      checksumFiles: plan.checksumFiles.map((c) => ({
        ...c,
        path: batch.finalPath(c.fileName),
        ...(options.sign ? { signature: batch.finalPath(c.fileName + SIGNATURE_SUFFIX) } : {}),
      })),
    };
  } catch (err) {
    await batch.discard();
    if (isPackagerError(err)) throw err;
    throw new PackagerError(
      'PACK_WRITE_FAILED',
      `packing into ${options.show(options.out)} failed: ${describe(err)}`,
      {
        cause: err,
        hint: 'nothing was left in the output folder; fix the cause and run it again',
      },
    );
  } finally {
    await workers?.close();
  }
}

/** Below this many bytes to pack, one thread packs everything: starting a worker would cost more. */
const SMALL_PACK = 8 << 20;

/** Archives taking their files from the same folder have the same bytes: one group each. */
function groupByContent(archives: readonly PlannedArchive[]): PlannedArchive[][] {
  const groups = new Map<string, PlannedArchive[]>();
  for (const archive of archives) {
    const group = groups.get(archive.contentRoot) ?? [];
    group.push(archive);
    groups.set(archive.contentRoot, group);
  }
  return [...groups.values()];
}

/** Walks every distinct tree and refuses them all at once, before any byte is written. */
function collectTrees(
  groups: readonly PlannedArchive[][],
  show: (p: string) => string,
): Map<string, TreeEntry[]> {
  const trees = new Map<string, TreeEntry[]>();
  const problems = new Map<string, PackagerError>();
  for (const group of groups) {
    const archive = group[0]!;
    try {
      trees.set(archive.contentRoot, collectTree(archive.sources, { show }));
    } catch (err) {
      if (!isPackagerError(err) || err.causes.length === 0) throw err;
      // The project's README is in every tree: report a problem with it once.
      for (const cause of err.causes) problems.set(cause.message, cause);
    }
  }
  if (problems.size > 0) throw packRefused([...problems.values()], 'in the tree');
  return trees;
}

function fileBytes(entries: readonly TreeEntry[]): number {
  return entries.reduce((sum, e) => sum + (e.kind === 'file' ? e.stats.size : 0), 0);
}

/**
 * Runs `task` over `items`, at most `limit` at a time, each in one of `limit` lanes (0 to limit - 1,
 * one item at a time each); the first failure rejects (others finish first).
 */
async function runLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, lane: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  // After a failure no new item starts, but running ones finish: nothing writes while the caller cleans up.
  const worker = async (_: unknown, lane: number) => {
    while (!failed && next < items.length) {
      try {
        await task(items[next++]!, lane);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker),
  );
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e instanceof Error ? (e.code ? `${e.code}: ${e.message}` : e.message) : String(err);
}
