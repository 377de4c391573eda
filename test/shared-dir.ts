import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The team's shared folder (real bonsai.yml fixtures): where BONSAI_SHARED_DIR points, else `shared`
 * beside the repository, beside the folder holding a git worktree of it, or beside the local repository
 * this one was cloned from (CI clones main into a fresh folder). Undefined when absent: callers skip
 * locally and fail under CI=true.
 */
export function sharedDir(): string | undefined {
  const origin = localOrigin();
  const candidates = [
    process.env.BONSAI_SHARED_DIR,
    path.resolve(repoRoot, '..', 'shared'),
    path.resolve(repoRoot, '..', '..', 'shared'),
    origin && path.resolve(origin, '..', 'shared'),
  ];
  return candidates.find((dir): dir is string => dir !== undefined && existsSync(dir));
}

/** The real bonsai.yml files from public plugins, or undefined when the shared folder is absent. */
export function realBonsaiYmlDir(): string | undefined {
  const shared = sharedDir();
  return shared && path.join(shared, 'fixtures', 'bonsai-yml');
}

/** The `origin` remote when it is a folder on this machine (a clone of a local repository). */
function localOrigin(): string | undefined {
  try {
    const url = execFileSync('git', ['-C', repoRoot, 'remote', 'get-url', 'origin'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const folder = url.startsWith('file://') ? fileURLToPath(url) : url;
    return path.isAbsolute(folder) && existsSync(folder) ? folder : undefined;
  } catch {
    return undefined;
  }
}
