/**
 * Which release a folder of files was made for: `bonsai pack` names files from bonsai.yml's templates with
 * one repository name and tag, so a dist/ packed for `hello-world 1.0.0` cannot be the release
 * `other 1.0.0`. Finding the names it was packed for turns ten "missing file" errors into one sentence.
 */
import type { ReleaseContext } from './compile.js';
import { planRelease } from './compile.js';
import type { BonsaiConfig } from './config.js';

/**
 * The (repo, tag) whose every asset and checksum file is among `files`, when the release `current` is
 * not complete there; undefined when `current` is complete or no other release fits.
 */
export function packedFor(
  config: BonsaiConfig,
  files: readonly string[],
  current: ReleaseContext,
): ReleaseContext | undefined {
  const present = new Set(files);
  const complete = (context: ReleaseContext): boolean => {
    const plan = planRelease(config, context);
    return (
      plan.diagnostics.length === 0 &&
      plan.builds.every((b) => present.has(b.assetFilename) && present.has(b.shaFilename))
    );
  };
  if (complete(current)) return undefined;
  const currentRepo = repoName(current.repo);
  for (const build of config.builds) {
    const pattern = templatePattern(build.assetFilename);
    for (const file of files) {
      const groups = pattern.exec(file)?.groups;
      if (!groups) continue;
      const candidate = { repo: groups.repo ?? currentRepo, tag: groups.version ?? current.tag };
      if (candidate.repo === currentRepo && candidate.tag === current.tag) continue;
      if (complete(candidate)) return candidate;
    }
  }
  return undefined;
}

function repoName(repo: string): string {
  return repo.slice(repo.lastIndexOf('/') + 1);
}

/** `#{repo}_#{version}_linux.tar.gz` → /^(?<repo>.+?)_(?<version>.+?)_linux\.tar\.gz$/ (repeats back-referenced). */
function templatePattern(template: string): RegExp {
  const seen = new Set<string>();
  const source = template
    .split(/(#\{(?:repo|version)\})/)
    .map((part) => {
      const token = /^#\{(repo|version)\}$/.exec(part)?.[1];
      if (!token) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (seen.has(token)) return `\\k<${token}>`;
      seen.add(token);
      return `(?<${token}>.+?)`;
    })
    .join('');
  return new RegExp(`^${source}$`);
}
