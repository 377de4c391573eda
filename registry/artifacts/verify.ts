import { RegistryError, isRegistryError } from '../errors.js';
import type { RecordedCopy } from '../store/copies.js';
import { digestOf } from './digest.js';
import type { Artifacts, WrittenBytes } from './port.js';

/** What re-reading one copy found: its bytes match the recorded sha512, it is missing, or it holds other bytes. */
export type CopyCheck = 'intact' | 'missing' | 'changed';

export interface CopyProblem {
  asset: string;
  version: string;
  path: string;
  problem: Exclude<CopyCheck, 'intact'>;
  /** Whether the version is served (its copies all published); an unpublished copy may still be missing. */
  published: boolean;
  expected_sha512: string;
  /** What the store holds; absent when the copy is missing. */
  found_sha512?: string;
  found_size?: number;
}

export interface VerifyReport {
  store: string;
  checked: number;
  intact: number;
  problems: CopyProblem[];
}

/**
 * Re-reads every recorded copy from the store and compares its bytes with the sha512 recorded at ingest
 * (the store's own metadata is not trusted: it is what an incident or another tool may have changed).
 */
export async function verifyCopies(
  artifacts: Pick<Artifacts, 'read' | 'description'>,
  copies: readonly RecordedCopy[],
): Promise<VerifyReport> {
  const report: VerifyReport = { store: artifacts.description, checked: 0, intact: 0, problems: [] };
  for (const copy of copies) {
    const problem = (p: CopyProblem['problem'], found?: WrittenBytes): CopyProblem => ({
      asset: copy.asset,
      version: copy.tag,
      path: copy.mirrorPath,
      problem: p,
      published: copy.published,
      expected_sha512: copy.sha512,
      ...(found ? { found_sha512: found.sha512, found_size: found.size } : {}),
    });
    report.checked++;
    let found: WrittenBytes | undefined;
    try {
      const bytes = await artifacts.read(copy.mirrorPath);
      found = bytes && (await digestOf(bytes));
    } catch (err) {
      if (isRegistryError(err)) throw err;
      throw new RegistryError(
        'ARTIFACT_STORE_FAILED',
        `cannot read ${copy.mirrorPath}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if (!found) report.problems.push(problem('missing'));
    else if (found.sha512 !== copy.sha512) report.problems.push(problem('changed', found));
    else report.intact++;
  }
  return report;
}
