import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The team's shared folder (real bonsai.yml fixtures): where BONSAI_SHARED_DIR points, else `shared`
 * beside the repository (or beside the folder holding a git worktree of it). Undefined when absent:
 * callers skip locally and fail under CI=true.
 */
export function sharedDir(): string | undefined {
  const candidates = [
    process.env.BONSAI_SHARED_DIR,
    path.resolve(repoRoot, '..', 'shared'),
    path.resolve(repoRoot, '..', '..', 'shared'),
  ];
  return candidates.find((dir): dir is string => dir !== undefined && existsSync(dir));
}

/** The real bonsai.yml files from public plugins, or undefined when the shared folder is absent. */
export function realBonsaiYmlDir(): string | undefined {
  const shared = sharedDir();
  return shared && path.join(shared, 'fixtures', 'bonsai-yml');
}
