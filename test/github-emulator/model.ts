/** The emulator's in-memory records. Routes render them into GitHub's JSON shapes (render.ts). */

export interface UserRecord {
  id: number;
  login: string;
  type: 'User' | 'Organization';
}

/** What a token may do: read everything it can see, or also write; optionally only some repositories. */
export interface TokenGrant {
  token: string;
  user: UserRecord;
  write: boolean;
  /** Lower-cased `owner/name`s; undefined means every repository. */
  repos?: ReadonlySet<string>;
}

export interface BlobRecord {
  sha: string;
  bytes: Buffer;
}

export interface CommitRecord {
  sha: string;
  treeSha: string;
  parents: string[];
  message: string;
  date: Date;
  author: UserRecord;
  /** The whole tree at this commit, by path (`bonsai.yml`, `bin/check`). */
  files: ReadonlyMap<string, BlobRecord>;
}

/** An annotated tag object: the tag ref points at it, and it points at a commit. */
export interface TagObjectRecord {
  sha: string;
  tag: string;
  message: string;
  commitSha: string;
  date: Date;
  tagger: UserRecord;
}

export interface HookRecord {
  id: number;
  repo: RepoRecord;
  url: string;
  secret?: string;
  events: string[];
  contentType: 'json' | 'form';
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
  lastResponse: { code: number | null; status: string; message: string | null };
}

export interface AssetRecord {
  id: number;
  release: ReleaseRecord;
  name: string;
  label: string;
  contentType: string;
  bytes: Buffer;
  /** `sha256:<hex>`, as GitHub reports it. */
  digest: string;
  downloadCount: number;
  createdAt: Date;
  updatedAt: Date;
  uploader: UserRecord;
}

export interface ReleaseRecord {
  id: number;
  repo: RepoRecord;
  tagName: string;
  targetCommitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  createdAt: Date;
  publishedAt: Date | null;
  updatedAt: Date;
  author: UserRecord;
  assets: AssetRecord[];
  /** A draft's html_url says `untagged-<this>` until it is published. */
  untaggedId: string;
}

export interface RepoRecord {
  id: number;
  owner: UserRecord;
  name: string;
  fullName: string;
  private: boolean;
  description: string | null;
  defaultBranch: string;
  createdAt: Date;
  updatedAt: Date;
  pushedAt: Date;
  commits: Map<string, CommitRecord>;
  /** Full ref names (`refs/tags/1.0.0`, `refs/heads/main`) to a commit sha or an annotated tag's sha. */
  refs: Map<string, string>;
  tagObjects: Map<string, TagObjectRecord>;
  /** In creation order. */
  releases: ReleaseRecord[];
  /** Set by `make_latest`; when it is gone, the latest is the newest full release. */
  latestReleaseId: number | null;
  hooks: HookRecord[];
}

export type ReleaseAction =
  'created' | 'published' | 'released' | 'prereleased' | 'edited' | 'unpublished' | 'deleted';

export type ReleaseChanges = Partial<Record<'name' | 'body' | 'tag_name', { from: string }>>;

/** A change to a release, as GitHub reports it to webhooks. */
export interface ReleaseEvent {
  action: ReleaseAction;
  release: ReleaseRecord;
  sender: UserRecord;
  changes?: ReleaseChanges;
}
