import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The team's shared folder (real bonsai.yml fixtures), beside the repository as `../shared`, or where
 * BONSAI_SHARED_DIR points. Undefined when absent: callers skip locally and fail under CI=true.
 */
export function sharedDir(): string | undefined {
  const candidate = process.env.BONSAI_SHARED_DIR ?? path.resolve(repoRoot, '..', 'shared');
  return existsSync(candidate) ? candidate : undefined;
}
