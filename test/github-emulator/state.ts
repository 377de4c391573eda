import { createHash, randomBytes } from 'node:crypto';
import { docs, GitHubApiError, notFound, validationFailed } from './errors.js';
import type {
  AssetRecord,
  BlobRecord,
  CommitRecord,
  HookRecord,
  ReleaseAction,
  ReleaseChanges,
  ReleaseEvent,
  ReleaseRecord,
  RepoRecord,
  TokenGrant,
  UserRecord,
} from './model.js';

export interface CreateRepoInput {
  owner: string;
  name: string;
  private?: boolean;
  description?: string;
  defaultBranch?: string;
}

export interface CommitInput {
  /** Files to add or replace (text or bytes); `null` deletes a path. Other paths keep the parent's content. */
  files: Record<string, string | Uint8Array | null>;
  /** Point this tag at the new commit (moving it if it exists). */
  tag?: string;
  /** Make that tag an annotated tag object rather than a lightweight ref. */
  annotated?: boolean;
  message?: string;
  /** The branch the commit lands on; the repository's default branch unless given. */
  branch?: string;
  author?: string;
}

/** The body fields of "create a release" / "update a release". */
export interface ReleaseInput {
  tag_name: string;
  target_commitish?: string;
  name?: string | null;
  body?: string | null;
  draft?: boolean;
  prerelease?: boolean;
  make_latest?: 'true' | 'false' | 'legacy';
}

export interface AssetInput {
  name: string;
  data: Uint8Array | string;
  contentType?: string;
  label?: string;
}

export interface HookInput {
  url: string;
  secret?: string;
  /** GitHub's default for hooks created through the API is `['push']`; `'*'` means every event. */
  events?: string[];
  contentType?: 'json' | 'form';
  active?: boolean;
}

const sha1 = (...parts: (string | Buffer)[]) => {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

/** Git's own blob id, so `sha` in contents answers is what `git hash-object` prints. */
const blobSha = (bytes: Buffer) => sha1(`blob ${bytes.length}\0`, bytes);

/** GitHub reports times to the second. */
const now = () => new Date(Math.floor(Date.now() / 1000) * 1000);

const key = (fullName: string) => fullName.toLowerCase();

/**
 * GitHub renames uploaded files whose names carry characters it does not keep: anything but letters,
 * digits and `._-+` becomes a period, and leading or trailing periods go.
 */
export const githubAssetName = (name: string) =>
  name.replace(/[^A-Za-z0-9._+-]/g, '.').replace(/^\.+|\.+$/g, '');

/** One release holds one asset of a name; GitHub answers 422 `already_exists` to a second. */
function assertAssetNameFree(
  release: ReleaseRecord,
  name: string,
  self: AssetRecord | undefined,
  docsUrl: string,
) {
  if (release.assets.some((asset) => asset !== self && asset.name === name)) {
    throw validationFailed(docsUrl, { resource: 'ReleaseAsset', code: 'already_exists', field: 'name' });
  }
}

/** Ids count up from GitHub-sized numbers, one range per kind, so a mixed-up id is a 404, not a wrong hit. */
const FIRST_IDS = {
  user: 1000,
  repo: 700_000_000,
  release: 100_000_000,
  asset: 200_000_000,
  hook: 400_000_000,
};

/** Everything the emulated GitHub knows. Methods enforce GitHub's rules and throw `GitHubApiError`. */
export class EmulatorState {
  private users = new Map<string, UserRecord>();
  private tokens = new Map<string, TokenGrant>();
  private repos = new Map<string, RepoRecord>();
  private releasesById = new Map<number, ReleaseRecord>();
  private assetsById = new Map<number, AssetRecord>();
  private ids = { ...FIRST_IDS };
  private commitCounter = 0;
  private releaseListeners: ((event: ReleaseEvent) => void)[] = [];
  private hookListeners: ((hook: HookRecord, sender: UserRecord) => void)[] = [];

  onRelease(listener: (event: ReleaseEvent) => void) {
    this.releaseListeners.push(listener);
  }

  onHookCreated(listener: (hook: HookRecord, sender: UserRecord) => void) {
    this.hookListeners.push(listener);
  }

  reset() {
    for (const map of [this.users, this.tokens, this.repos, this.releasesById, this.assetsById]) map.clear();
    this.ids = { ...FIRST_IDS };
    this.commitCounter = 0;
  }

  // --- users and tokens -------------------------------------------------------------------------

  user(login: string, type: UserRecord['type'] = 'User'): UserRecord {
    let user = this.users.get(key(login));
    if (!user) {
      user = { id: ++this.ids.user, login, type };
      this.users.set(key(login), user);
    }
    return user;
  }

  addToken(token: string, options: { login: string; write?: boolean; repos?: string[] }): TokenGrant {
    const grant: TokenGrant = { token, user: this.user(options.login), write: options.write ?? false };
    if (options.repos) grant.repos = new Set(options.repos.map(key));
    this.tokens.set(token, grant);
    return grant;
  }

  grant(token: string): TokenGrant | undefined {
    return this.tokens.get(token);
  }

  // --- repositories and git ---------------------------------------------------------------------

  createRepo(input: CreateRepoInput): RepoRecord {
    const fullName = `${input.owner}/${input.name}`;
    if (this.repos.has(key(fullName))) {
      throw validationFailed(docs.getRepo, { resource: 'Repository', code: 'custom', field: 'name' });
    }
    const at = now();
    const repo: RepoRecord = {
      id: ++this.ids.repo,
      owner: this.user(input.owner),
      name: input.name,
      fullName,
      private: input.private ?? false,
      description: input.description ?? null,
      defaultBranch: input.defaultBranch ?? 'main',
      createdAt: at,
      updatedAt: at,
      pushedAt: at,
      commits: new Map(),
      refs: new Map(),
      tagObjects: new Map(),
      releases: [],
      latestReleaseId: null,
      hooks: [],
    };
    this.repos.set(key(fullName), repo);
    return repo;
  }

  /** Owner and name are case-insensitive, as on GitHub. */
  findRepo(fullName: string): RepoRecord | undefined {
    return this.repos.get(key(fullName));
  }

  repo(fullName: string): RepoRecord {
    const repo = this.findRepo(fullName);
    if (!repo) throw new Error(`github-emulator: no repository ${fullName}; create it with createRepo first`);
    return repo;
  }

  repoById(id: number): RepoRecord | undefined {
    return [...this.repos.values()].find((repo) => repo.id === id);
  }

  /** Commits files on a branch (and optionally tags the commit); returns the commit sha. */
  commit(repo: RepoRecord, input: CommitInput): string {
    const branch = input.branch ?? repo.defaultBranch;
    const parentSha = repo.refs.get(`refs/heads/${branch}`);
    const files = new Map<string, BlobRecord>(parentSha ? repo.commits.get(parentSha)?.files : []);
    for (const [path, content] of Object.entries(input.files)) {
      const clean = path.replace(/^\/+/, '');
      if (content === null) {
        files.delete(clean);
        continue;
      }
      const bytes = Buffer.from(content);
      files.set(clean, { sha: blobSha(bytes), bytes });
    }
    const listing = [...files]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([path, blob]) => `${blob.sha} ${path}`);
    const treeSha = sha1('tree\0', listing.join('\n'));
    const message = input.message ?? (input.tag ? `Release ${input.tag}` : 'Update files');
    const date = now();
    const sha = sha1('commit\0', treeSha, parentSha ?? '', message, String(++this.commitCounter));
    const author = this.user(input.author ?? repo.owner.login);
    repo.commits.set(sha, {
      sha,
      treeSha,
      parents: parentSha ? [parentSha] : [],
      message,
      date,
      author,
      files,
    });
    repo.refs.set(`refs/heads/${branch}`, sha);
    repo.pushedAt = date;
    if (input.tag) this.setTag(repo, input.tag, sha, { annotated: input.annotated ?? false });
    return sha;
  }

  /** Creates or moves a tag to a commit, like `git tag -f` + `git push -f`. */
  setTag(
    repo: RepoRecord,
    tag: string,
    commitSha: string,
    options: { annotated?: boolean; message?: string } = {},
  ) {
    if (!repo.commits.has(commitSha)) {
      throw new Error(`github-emulator: ${repo.fullName} has no commit ${commitSha}`);
    }
    let target = commitSha;
    if (options.annotated) {
      const date = now();
      const message = options.message ?? `Tag ${tag}`;
      target = sha1('tag\0', tag, commitSha, message, String(++this.commitCounter));
      repo.tagObjects.set(target, { sha: target, tag, message, commitSha, date, tagger: repo.owner });
    }
    repo.refs.set(`refs/tags/${tag}`, target);
  }

  deleteTag(repo: RepoRecord, tag: string) {
    repo.refs.delete(`refs/tags/${tag}`);
  }

  /** A branch, a tag (annotated ones dereferenced), a full ref or a full commit sha; undefined if none. */
  resolveCommit(repo: RepoRecord, ref: string): CommitRecord | undefined {
    const candidates = ref.startsWith('refs/') ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`];
    for (const name of candidates) {
      const target = repo.refs.get(name);
      if (target) return repo.commits.get(repo.tagObjects.get(target)?.commitSha ?? target);
    }
    return repo.commits.get(ref);
  }

  // --- releases ---------------------------------------------------------------------------------

  release(id: number): ReleaseRecord | undefined {
    return this.releasesById.get(id);
  }

  /** Newest first, as GitHub lists them. */
  releases(repo: RepoRecord, options: { drafts: boolean }): ReleaseRecord[] {
    return repo.releases
      .filter((release) => options.drafts || !release.draft)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id);
  }

  /** Drafts have no tag yet, so GitHub never finds them by tag. */
  releaseByTag(repo: RepoRecord, tag: string): ReleaseRecord | undefined {
    return repo.releases.find((release) => !release.draft && release.tagName === tag);
  }

  latestRelease(repo: RepoRecord): ReleaseRecord | undefined {
    const full = this.releases(repo, { drafts: false }).filter((release) => !release.prerelease);
    return full.find((release) => release.id === repo.latestReleaseId) ?? full[0];
  }

  createRelease(repo: RepoRecord, input: ReleaseInput, actor: UserRecord): ReleaseRecord {
    this.assertTagFree(repo, input.tag_name, undefined, docs.createRelease);
    const draft = input.draft ?? false;
    const target = input.target_commitish ?? repo.defaultBranch;
    if (!draft) this.ensureTag(repo, input.tag_name, target, docs.createRelease);
    const at = now();
    const release: ReleaseRecord = {
      id: ++this.ids.release,
      repo,
      tagName: input.tag_name,
      targetCommitish: target,
      name: input.name ?? null,
      body: input.body ?? null,
      draft,
      prerelease: input.prerelease ?? false,
      createdAt: at,
      publishedAt: draft ? null : at,
      updatedAt: at,
      author: actor,
      assets: [],
      untaggedId: randomBytes(10).toString('hex'),
    };
    repo.releases.push(release);
    this.releasesById.set(release.id, release);
    this.markLatest(release, input.make_latest);
    this.emit(
      release,
      actor,
      draft ? ['created'] : ['created', 'published', release.prerelease ? 'prereleased' : 'released'],
    );
    return release;
  }

  updateRelease(release: ReleaseRecord, patch: Partial<ReleaseInput>, actor: UserRecord): ReleaseRecord {
    const { repo } = release;
    const changes: ReleaseChanges = {};
    if (patch.tag_name !== undefined && patch.tag_name !== release.tagName) {
      this.assertTagFree(repo, patch.tag_name, release, docs.updateRelease);
      changes.tag_name = { from: release.tagName };
    }
    if (patch.name !== undefined && patch.name !== release.name) changes.name = { from: release.name ?? '' };
    if (patch.body !== undefined && patch.body !== release.body) changes.body = { from: release.body ?? '' };
    const publishing = patch.draft === false && release.draft;
    const unpublishing = patch.draft === true && !release.draft;
    const flipsPrerelease = patch.prerelease !== undefined && patch.prerelease !== release.prerelease;
    const promoted = flipsPrerelease && patch.prerelease === false && !release.draft && !publishing;
    const tagName = patch.tag_name ?? release.tagName;
    const target = patch.target_commitish ?? release.targetCommitish;
    if (publishing) this.ensureTag(repo, tagName, target, docs.updateRelease);

    release.tagName = tagName;
    release.targetCommitish = target;
    if (patch.name !== undefined) release.name = patch.name;
    if (patch.body !== undefined) release.body = patch.body;
    if (patch.prerelease !== undefined) release.prerelease = patch.prerelease;
    if (patch.draft !== undefined) release.draft = patch.draft;
    if (publishing) release.publishedAt = now();
    if (unpublishing) release.publishedAt = null;
    release.updatedAt = now();
    this.markLatest(release, patch.make_latest);

    if (Object.keys(changes).length > 0 || (flipsPrerelease && !publishing)) {
      this.emit(release, actor, ['edited'], changes);
    }
    if (publishing) this.emit(release, actor, release.prerelease ? ['published'] : ['published', 'released']);
    if (unpublishing) this.emit(release, actor, ['unpublished']);
    if (promoted) this.emit(release, actor, ['released']);
    return release;
  }

  deleteRelease(release: ReleaseRecord, actor: UserRecord) {
    const { repo } = release;
    repo.releases = repo.releases.filter((other) => other !== release);
    this.releasesById.delete(release.id);
    for (const asset of release.assets) this.assetsById.delete(asset.id);
    this.emit(release, actor, ['deleted']);
  }

  /** GitHub refuses a second release for a tag, drafts included. */
  private assertTagFree(repo: RepoRecord, tag: string, self: ReleaseRecord | undefined, docsUrl: string) {
    if (repo.releases.some((release) => release !== self && release.tagName === tag)) {
      throw validationFailed(docsUrl, { resource: 'Release', code: 'already_exists', field: 'tag_name' });
    }
  }

  /** Publishing a release whose tag does not exist creates the tag at `target_commitish`, like GitHub. */
  private ensureTag(repo: RepoRecord, tag: string, target: string, docsUrl: string) {
    if (repo.refs.has(`refs/tags/${tag}`)) return;
    if (repo.commits.size === 0) throw new GitHubApiError(422, 'Repository is empty.', docsUrl);
    const commit = this.resolveCommit(repo, target);
    if (!commit) {
      throw validationFailed(docsUrl, { resource: 'Release', code: 'invalid', field: 'target_commitish' });
    }
    this.setTag(repo, tag, commit.sha);
  }

  private markLatest(release: ReleaseRecord, makeLatest: ReleaseInput['make_latest']) {
    if (release.draft || release.prerelease || makeLatest === 'false') return;
    if (makeLatest === 'legacy') release.repo.latestReleaseId = null;
    else release.repo.latestReleaseId = release.id;
  }

  private emit(
    release: ReleaseRecord,
    sender: UserRecord,
    actions: ReleaseAction[],
    changes?: ReleaseChanges,
  ) {
    for (const action of actions) {
      const event: ReleaseEvent = { action, release, sender };
      if (action === 'edited') event.changes = changes ?? {};
      for (const listener of this.releaseListeners) listener(event);
    }
  }

  // --- assets -----------------------------------------------------------------------------------

  asset(id: number): AssetRecord | undefined {
    return this.assetsById.get(id);
  }

  addAsset(release: ReleaseRecord, input: AssetInput, uploader: UserRecord): AssetRecord {
    const name = githubAssetName(input.name);
    assertAssetNameFree(release, name, undefined, docs.uploadAsset);
    const bytes = Buffer.from(input.data);
    const at = now();
    const asset: AssetRecord = {
      id: ++this.ids.asset,
      release,
      name,
      label: input.label ?? '',
      contentType: input.contentType ?? 'application/octet-stream',
      bytes,
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      downloadCount: 0,
      createdAt: at,
      updatedAt: at,
      uploader,
    };
    release.assets.push(asset);
    this.assetsById.set(asset.id, asset);
    return asset;
  }

  updateAsset(asset: AssetRecord, patch: { name?: string; label?: string }) {
    if (patch.name !== undefined) {
      const name = githubAssetName(patch.name);
      assertAssetNameFree(asset.release, name, asset, docs.updateAsset);
      asset.name = name;
    }
    if (patch.label !== undefined) asset.label = patch.label;
    asset.updatedAt = now();
    return asset;
  }

  deleteAsset(asset: AssetRecord) {
    asset.release.assets = asset.release.assets.filter((other) => other !== asset);
    this.assetsById.delete(asset.id);
  }

  // --- hooks ------------------------------------------------------------------------------------

  addHook(repo: RepoRecord, input: HookInput, sender: UserRecord): HookRecord {
    const at = now();
    const hook: HookRecord = {
      id: ++this.ids.hook,
      repo,
      url: input.url,
      events: input.events ?? ['push'],
      contentType: input.contentType ?? 'form',
      active: input.active ?? true,
      createdAt: at,
      updatedAt: at,
      lastResponse: { code: null, status: 'unused', message: null },
    };
    if (input.secret) hook.secret = input.secret;
    repo.hooks.push(hook);
    for (const listener of this.hookListeners) listener(hook, sender);
    return hook;
  }

  hook(repo: RepoRecord, id: number): HookRecord {
    const hook = repo.hooks.find((candidate) => candidate.id === id);
    if (!hook) throw notFound(docs.hooks);
    return hook;
  }

  deleteHook(hook: HookRecord) {
    hook.repo.hooks = hook.repo.hooks.filter((other) => other !== hook);
  }
}
