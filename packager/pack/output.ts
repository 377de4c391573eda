import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * The files one run writes into the output folder, all or nothing: each is written under a temporary
 * name beside its final one (same file system, so the rename is atomic) and renamed only once every
 * file of the run is complete. On failure every temporary file is removed, and the folder too when this
 * run created it, so the output folder holds nothing new.
 */
export class OutputBatch {
  private readonly temps = new Map<string, string>();
  private createdDir: string | undefined;

  constructor(readonly dir: string) {}

  async open(): Promise<void> {
    // mkdir returns the first folder it had to create, undefined when all existed.
    this.createdDir = await mkdir(this.dir, { recursive: true });
  }

  /** A temporary path in the output folder for the file that will be called `finalName`. */
  tempFor(finalName: string): string {
    const existing = this.temps.get(finalName);
    if (existing) return existing;
    const temp = path.join(
      this.dir,
      `.${finalName}.${process.pid}-${randomBytes(4).toString('hex')}.partial`,
    );
    this.temps.set(finalName, temp);
    return temp;
  }

  finalPath(finalName: string): string {
    return path.join(this.dir, finalName);
  }

  /** Renames every temporary file to its final name (replacing an older file of that name). */
  async commit(): Promise<void> {
    for (const [finalName, temp] of this.temps) {
      await rename(temp, this.finalPath(finalName));
      this.temps.delete(finalName);
    }
  }

  /** Removes every temporary file not yet committed, and the output folder if this run created it empty. */
  async discard(): Promise<void> {
    await Promise.all([...this.temps.values()].map((temp) => rm(temp, { force: true })));
    this.temps.clear();
    if (this.createdDir !== undefined) {
      // Only empty folders go; rmdir refuses a folder someone else wrote into meanwhile.
      for (let dir = this.dir; dir.startsWith(this.createdDir); dir = path.dirname(dir)) {
        try {
          await rmdir(dir);
        } catch {
          break;
        }
      }
    }
  }
}
