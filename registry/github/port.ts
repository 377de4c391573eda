/** A file attached to a GitHub release. */
export interface ReleaseFile {
  id: number;
  name: string;
  size: number;
  updatedAt: string;
  /** The public download URL (what link mode serves). */
  browserDownloadUrl: string;
}

export interface Release {
  id: number;
  tag: string;
  draft: boolean;
  prerelease: boolean;
  files: ReleaseFile[];
  /** The release notes (Markdown written by the author); absent when the release has none. */
  notes?: string;
}

/** Where a tag's ref points: a commit, or (an annotated tag) a tag object naming the commit. */
export interface TagRef {
  sha: string;
  annotated: boolean;
}

export interface Repository {
  htmlUrl: string;
  description: string;
}

/** A conditional read: `notModified` when the stored ETag still matches (a 304 costs nothing). */
export type Conditional<T> = { notModified: true } | ({ notModified: false } & T);

/**
 * The `GitHub` port (DESIGN: ports and adapters): the few reads ingest needs. Not-found answers are
 * `undefined`; every other failure throws a RegistryError (GITHUB_FAILED) after the client's retries.
 */
export interface GitHub {
  readonly apiUrl: string;
  getRepository(owner: string, repo: string): Promise<Repository | undefined>;
  /**
   * Every release, all pages. With `etags` (one per page, from the last call), every page is asked
   * conditionally first and `notModified` is returned when none changed.
   */
  listReleases(
    owner: string,
    repo: string,
    etags?: readonly string[],
  ): Promise<Conditional<{ releases: Release[]; etags: string[] }>>;
  /**
   * Every tag of the repository and the sha its ref points at, from one paginated listing of the tag
   * refs (`git/matching-refs/tags/`): a sync asks once, not once per release. Empty when the repository
   * has no commits or is gone.
   */
  listTagRefs(owner: string, repo: string): Promise<Map<string, TagRef>>;
  /** The commit an annotated tag object points at (tags of tags followed); undefined when it is gone. */
  commitOfTagObject(owner: string, repo: string, sha: string): Promise<string | undefined>;
  /** Names of the files at the repository root at `ref`. */
  listRootFiles(owner: string, repo: string, ref: string): Promise<string[]>;
  /**
   * A file at `ref`, or undefined when absent: its size, and its bytes unless it is larger than
   * `maxBytes` (then `bytes` is empty: the caller refuses it by its size).
   */
  readFile(
    owner: string,
    repo: string,
    path: string,
    ref: string,
    maxBytes: number,
  ): Promise<{ size: number; bytes: Buffer } | undefined>;
  /** The bytes of a release file, as a stream (the caller enforces size and digest). */
  downloadReleaseFile(owner: string, repo: string, file: ReleaseFile): Promise<ReadableStream<Uint8Array>>;
}
