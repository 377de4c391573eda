import type { GitHub, TagRef } from './port.js';

/** A tag's commit, and the sha its ref points at (remembered so a tag object is read only once). */
export interface TagCommit {
  ref: string;
  commit: string;
}

/** What the store remembers of a tag from the last sync. */
export type KnownTag = (tag: string) => { ref: string | null; commit: string | null } | undefined;

/**
 * The commits of one repository's tags for one sync: the tag refs are listed once, on first use (a sync
 * that finds nothing new asks nothing), and each release's tag is looked up in that listing. A
 * lightweight tag names its commit; an annotated one names a tag object, which never changes, so its
 * commit is read from GitHub only when the ref points at an object the store has not seen.
 */
export function tagCommits(
  github: GitHub,
  owner: string,
  repo: string,
  known: KnownTag,
): (tag: string) => Promise<TagCommit | undefined> {
  let listing: Promise<Map<string, TagRef>> | undefined;
  const list = () => {
    listing ??= github.listTagRefs(owner, repo).catch((err: unknown) => {
      // A failed listing is asked again by the next release (each reports its own retry), as before.
      listing = undefined;
      throw err;
    });
    return listing;
  };
  return async (tag) => {
    const ref = (await list()).get(tag);
    if (ref === undefined) return undefined;
    if (!ref.annotated) return { ref: ref.sha, commit: ref.sha };
    const previous = known(tag);
    if (previous?.ref === ref.sha && previous.commit) return { ref: ref.sha, commit: previous.commit };
    const commit = await github.commitOfTagObject(owner, repo, ref.sha);
    return commit === undefined ? undefined : { ref: ref.sha, commit };
  };
}
