import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { PackagerError } from '../errors.js';

const run = promisify(execFile);

/** Runs git in `dir`; undefined when git is missing, `dir` is not a repository, or the command fails. */
async function git(dir: string, args: readonly string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['-C', dir, ...args], { encoding: 'utf8' });
    return stdout;
  } catch {
    return undefined;
  }
}

/** The tags pointing exactly at HEAD, sorted; empty outside a repository. */
export async function tagsAtHead(dir: string): Promise<string[]> {
  const out = await git(dir, ['tag', '--points-at', 'HEAD']);
  return (out ?? '')
    .split('\n')
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .sort();
}

/**
 * The version a release of HEAD would have: `--version` when given, else the one tag at HEAD, verbatim
 * (Bonsai interpolates `#{version}` with the tag as written, a leading `v` included).
 */
export async function resolveVersion(dir: string, flag: string | undefined): Promise<string> {
  if (flag !== undefined) {
    if (flag.trim() === '') throw new PackagerError('VERSION_UNKNOWN', '--version is empty');
    return flag;
  }
  const tags = await tagsAtHead(dir);
  if (tags.length === 1) return tags[0]!;
  if (tags.length === 0) {
    const nearest = await nearestTag(dir);
    if (nearest) {
      const behind = `${nearest.commits} commit${nearest.commits === 1 ? '' : 's'}`;
      throw new PackagerError(
        'VERSION_UNKNOWN',
        `no --version given and HEAD of ${dir} carries no git tag: the nearest tag, ${nearest.tag}, is ${behind} behind HEAD`,
        {
          hint: `tag this commit as the new release (git tag NEW-VERSION), check out ${nearest.tag} to pack that release, or pass --version; the tag is used verbatim in file names`,
        },
      );
    }
    throw new PackagerError('VERSION_UNKNOWN', `no --version given and HEAD of ${dir} carries no git tag`, {
      hint: 'tag the release (git tag 1.0.0) or pass --version 1.0.0; the tag is used verbatim in file names',
    });
  }
  throw new PackagerError(
    'VERSION_AMBIGUOUS',
    `HEAD carries several tags (${tags.join(', ')}); which one is the release?`,
    {
      hint: `pass --version ${tags[tags.length - 1]}`,
    },
  );
}

/** The closest tag reachable from HEAD and how many commits HEAD is past it; undefined when none. */
async function nearestTag(dir: string): Promise<{ tag: string; commits: number } | undefined> {
  const tag = (await git(dir, ['describe', '--tags', '--abbrev=0', 'HEAD']))?.trim();
  if (!tag) return undefined;
  const count = Number((await git(dir, ['rev-list', '--count', `refs/tags/${tag}..HEAD`]))?.trim());
  return Number.isInteger(count) && count > 0 ? { tag, commits: count } : undefined;
}

/** `owner/name` URL forms of a git remote (https, scp-like ssh, ssh://, file paths) → `name`. */
export function repositoryNameFromUrl(url: string): string | undefined {
  const trimmed = url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  const name = trimmed.split(/[/:]/).pop();
  return name && name !== '' ? name : undefined;
}

/** `--repo` when given, else the origin remote's repository name, else the project folder's name. */
export async function resolveRepo(dir: string, flag: string | undefined): Promise<string> {
  if (flag !== undefined && flag.trim() !== '') return flag;
  const origin = await git(dir, ['remote', 'get-url', 'origin']);
  const fromOrigin = origin === undefined ? undefined : repositoryNameFromUrl(origin);
  return fromOrigin ?? path.basename(path.resolve(dir));
}

/** A packed path that is not what the release's commit holds. */
export interface ChangedFile {
  path: string;
  change: 'modified' | 'added' | 'deleted' | 'renamed' | 'untracked';
}

export interface TreeChanges {
  /** What the working tree was compared with: `tag 1.0.0` or `HEAD` (when the tag does not exist yet). */
  against: string;
  commit: string;
  files: ChangedFile[];
}

const CHANGE_NAMES: Record<string, ChangedFile['change']> = {
  M: 'modified',
  T: 'modified',
  A: 'added',
  D: 'deleted',
  R: 'renamed',
  C: 'added',
};

/**
 * The files under `pathspecs` (relative to `dir`) whose working-tree content differs from the commit of
 * `tag` (or of HEAD when there is no such tag): edits, staged or not, deletions and untracked files that
 * are not ignored. Undefined when `dir` is not in a git repository with a commit.
 */
export async function changesSince(
  dir: string,
  tag: string,
  pathspecs: readonly string[],
): Promise<TreeChanges | undefined> {
  const tagged = await git(dir, ['rev-parse', '--verify', '--quiet', `refs/tags/${tag}^{commit}`]);
  const head =
    tagged === undefined ? await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD']) : undefined;
  const commit = (tagged ?? head)?.trim();
  if (!commit) return undefined;
  const [diff, untracked] = await Promise.all([
    git(dir, ['diff', '--name-status', '--relative', '--no-renames', commit, '--', ...pathspecs]),
    git(dir, ['ls-files', '--others', '--exclude-standard', '--', ...pathspecs]),
  ]);
  if (diff === undefined || untracked === undefined) return undefined;
  const files: ChangedFile[] = [];
  for (const line of diff.split('\n')) {
    const [status = '', name] = line.split('\t');
    if (name) files.push({ path: name, change: CHANGE_NAMES[status.charAt(0)] ?? 'modified' });
  }
  for (const name of untracked.split('\n')) if (name) files.push({ path: name, change: 'untracked' });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { against: tagged === undefined ? 'HEAD' : `tag ${tag}`, commit, files };
}
