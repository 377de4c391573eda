import { load } from 'js-yaml';
import type { GitHub } from '../github/port.js';

/** README bytes kept per version: the pages show it; a larger one is named but not kept. */
export const MAX_README_BYTES = 512 * 1024;

export interface Readme {
  file: string;
  /** Undefined when the file is larger than MAX_README_BYTES. */
  text: string | undefined;
}

/**
 * The path inside `owner/repo` named by bonsai.yml's `overrides[0].readme_url` (Bonsai's override), when
 * it points into the same repository: `https://github.com/O/R/blob/REF/PATH`,
 * `https://raw.githubusercontent.com/O/R/REF/PATH` or a relative path. It is read at the tag's commit
 * through the GitHub API, never fetched from an arbitrary URL. Call only on a config that parsed (its
 * text is within the YAML bounds).
 */
export function readmeOverride(configText: string, owner: string, repo: string): string | undefined {
  let url: unknown;
  try {
    const doc = load(configText) as { overrides?: { readme_url?: unknown }[] } | null;
    url = Array.isArray(doc?.overrides) ? doc.overrides[0]?.readme_url : undefined;
  } catch {
    return undefined;
  }
  if (typeof url !== 'string' || url.length > 2048) return undefined;
  const same = (o: string, r: string) =>
    o.toLowerCase() === owner.toLowerCase() && r.toLowerCase() === repo.toLowerCase();
  const web = /^https:\/\/github\.com\/([^/]+)\/([^/]+)\/(?:blob|raw)\/[^/]+\/(.+)$/.exec(url);
  const raw = /^https:\/\/raw\.githubusercontent\.com\/([^/]+)\/([^/]+)\/[^/]+\/(.+)$/.exec(url);
  const found = web ?? raw;
  let path: string;
  if (found) {
    if (!same(found[1]!, found[2]!)) return undefined;
    path = found[3]!;
  } else if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    path = url.replace(/^\.?\//, '');
  } else {
    return undefined;
  }
  try {
    path = decodeURIComponent(path.split(/[?#]/)[0]!);
  } catch {
    return undefined;
  }
  return path === '' || path.split('/').some((s) => s === '..' || s === '') ? undefined : path;
}

/**
 * The README of a version, for the web pages: the `readme_url` override when it names a file of the
 * repository, else the first root file named README* (Bonsai's rule); NUL bytes dropped (Postgres
 * refuses them).
 */
export async function readReadme(
  github: GitHub,
  target: { owner: string; repo: string; commit: string },
  rootFiles: readonly string[],
  override: string | undefined,
): Promise<Readme | undefined> {
  const candidates = [override, [...rootFiles].sort().find((f) => /^readme/i.test(f))];
  for (const name of candidates) {
    if (name === undefined) continue;
    const file = await github.readFile(target.owner, target.repo, name, target.commit, MAX_README_BYTES);
    if (file === undefined) continue;
    if (file.size > MAX_README_BYTES) return { file: name, text: undefined };
    return { file: name, text: file.bytes.toString('utf8').replaceAll('\u0000', '') };
  }
  return undefined;
}
