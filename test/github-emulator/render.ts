import type { RestEndpointMethodTypes } from '@octokit/rest';
import type {
  AssetRecord,
  BlobRecord,
  CommitRecord,
  HookRecord,
  ReleaseRecord,
  RepoRecord,
  TagObjectRecord,
  UserRecord,
} from './model.js';

/**
 * GitHub's JSON shapes, typed by Octokit's own response types so that a missing or misspelt field is a
 * compile error here rather than a surprise in a client.
 */
type Data<
  G extends keyof RestEndpointMethodTypes,
  M extends keyof RestEndpointMethodTypes[G],
> = RestEndpointMethodTypes[G][M] extends { response: { data: infer D } } ? D : never;

export type RepoJson = Data<'repos', 'get'>;
export type ReleaseJson = Data<'repos', 'getRelease'>;
export type AssetJson = Data<'repos', 'getReleaseAsset'>;
export type UserJson = ReleaseJson['author'];
export type RefJson = Data<'git', 'getRef'>;
export type GitTagJson = Data<'git', 'getTag'>;
export type CommitJson = Data<'repos', 'getCommit'>;
export type TagJson = Data<'repos', 'listTags'>[number];
export type HookJson = Data<'repos', 'getWebhook'>;
export type ContentFileJson = Extract<Data<'repos', 'getContent'>, { type: 'file' }>;
export type ContentEntryJson = Extract<Data<'repos', 'getContent'>, unknown[]>[number];
export type Permissions = NonNullable<RepoJson['permissions']>;

/** The four loopback origins, without a trailing slash. */
export interface Origins {
  api: string;
  uploads: string;
  web: string;
  cdn: string;
}

/** GitHub's timestamps: ISO 8601 to the second, in UTC. */
export const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
const nodeId = (prefix: string, id: number | string) =>
  `${prefix}_kwDO${Buffer.from(String(id)).toString('base64url')}`;
/** Ruby's Base64.encode64, which GitHub uses: lines of 60 characters, each ending in a newline. */
const base64Lines = (bytes: Buffer) =>
  (bytes.toString('base64').match(/.{1,60}/g) ?? []).map((l) => `${l}\n`).join('');
/** Emulated commits and tags carry no signature. */
const UNSIGNED = { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null };
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export class Renderer {
  constructor(readonly origins: Origins) {}

  private repoApi(repo: RepoRecord) {
    return `${this.origins.api}/repos/${repo.fullName}`;
  }

  user(user: UserRecord): UserJson {
    const api = `${this.origins.api}/users/${user.login}`;
    return {
      login: user.login,
      id: user.id,
      node_id: nodeId(user.type === 'User' ? 'U' : 'O', user.id),
      avatar_url: `${this.origins.web}/avatars/${user.login}`,
      gravatar_id: '',
      url: api,
      html_url: `${this.origins.web}/${user.login}`,
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type: user.type,
      user_view_type: 'public',
      site_admin: false,
    };
  }

  repo(repo: RepoRecord, permissions?: Permissions): RepoJson {
    const api = this.repoApi(repo);
    const web = `${this.origins.web}/${repo.fullName}`;
    const host = new URL(this.origins.web).host;
    const json: RepoJson = {
      id: repo.id,
      node_id: nodeId('R', repo.id),
      name: repo.name,
      full_name: repo.fullName,
      private: repo.private,
      owner: this.user(repo.owner),
      html_url: web,
      description: repo.description,
      fork: false,
      url: api,
      forks_url: `${api}/forks`,
      keys_url: `${api}/keys{/key_id}`,
      collaborators_url: `${api}/collaborators{/collaborator}`,
      teams_url: `${api}/teams`,
      hooks_url: `${api}/hooks`,
      issue_events_url: `${api}/issues/events{/number}`,
      events_url: `${api}/events`,
      assignees_url: `${api}/assignees{/user}`,
      branches_url: `${api}/branches{/branch}`,
      tags_url: `${api}/tags`,
      blobs_url: `${api}/git/blobs{/sha}`,
      git_tags_url: `${api}/git/tags{/sha}`,
      git_refs_url: `${api}/git/refs{/sha}`,
      trees_url: `${api}/git/trees{/sha}`,
      statuses_url: `${api}/statuses/{sha}`,
      languages_url: `${api}/languages`,
      stargazers_url: `${api}/stargazers`,
      contributors_url: `${api}/contributors`,
      subscribers_url: `${api}/subscribers`,
      subscription_url: `${api}/subscription`,
      commits_url: `${api}/commits{/sha}`,
      git_commits_url: `${api}/git/commits{/sha}`,
      comments_url: `${api}/comments{/number}`,
      issue_comment_url: `${api}/issues/comments{/number}`,
      contents_url: `${api}/contents/{+path}`,
      compare_url: `${api}/compare/{base}...{head}`,
      merges_url: `${api}/merges`,
      archive_url: `${api}/{archive_format}{/ref}`,
      downloads_url: `${api}/downloads`,
      issues_url: `${api}/issues{/number}`,
      pulls_url: `${api}/pulls{/number}`,
      milestones_url: `${api}/milestones{/number}`,
      notifications_url: `${api}/notifications{?since,all,participating}`,
      labels_url: `${api}/labels{/name}`,
      releases_url: `${api}/releases{/id}`,
      deployments_url: `${api}/deployments`,
      created_at: iso(repo.createdAt),
      updated_at: iso(repo.updatedAt),
      pushed_at: iso(repo.pushedAt),
      git_url: `git://${host}/${repo.fullName}.git`,
      ssh_url: `git@${host}:${repo.fullName}.git`,
      clone_url: `${web}.git`,
      svn_url: web,
      homepage: null,
      size: 0,
      stargazers_count: 0,
      watchers_count: 0,
      language: null,
      has_issues: true,
      has_projects: true,
      has_downloads: true,
      has_wiki: true,
      has_pages: false,
      has_discussions: false,
      forks_count: 0,
      mirror_url: null,
      archived: false,
      disabled: false,
      open_issues_count: 0,
      license: null,
      allow_forking: true,
      is_template: false,
      web_commit_signoff_required: false,
      topics: [],
      visibility: repo.private ? 'private' : 'public',
      forks: 0,
      open_issues: 0,
      watchers: 0,
      default_branch: repo.defaultBranch,
      network_count: 0,
      subscribers_count: 0,
    };
    if (permissions) json.permissions = permissions;
    return json;
  }

  /** `browser_download_url` names the tag, so it changes when the release's tag does. */
  asset(asset: AssetRecord): AssetJson {
    const { release } = asset;
    return {
      url: `${this.repoApi(release.repo)}/releases/assets/${asset.id}`,
      id: asset.id,
      node_id: nodeId('RA', asset.id),
      name: asset.name,
      label: asset.label,
      uploader: this.user(asset.uploader),
      content_type: asset.contentType,
      state: 'uploaded',
      size: asset.bytes.length,
      digest: asset.digest,
      download_count: asset.downloadCount,
      created_at: iso(asset.createdAt),
      updated_at: iso(asset.updatedAt),
      browser_download_url: `${this.origins.web}/${release.repo.fullName}/releases/download/${encodeURIComponent(
        release.draft ? `untagged-${release.untaggedId}` : release.tagName,
      )}/${encodeURIComponent(asset.name)}`,
    };
  }

  release(release: ReleaseRecord): ReleaseJson {
    const api = `${this.repoApi(release.repo)}/releases/${release.id}`;
    const tag = release.draft ? `untagged-${release.untaggedId}` : release.tagName;
    return {
      url: api,
      assets_url: `${api}/assets`,
      upload_url: `${this.origins.uploads}/repos/${release.repo.fullName}/releases/${release.id}/assets{?name,label}`,
      html_url: `${this.origins.web}/${release.repo.fullName}/releases/tag/${encodeURIComponent(tag)}`,
      id: release.id,
      author: this.user(release.author),
      node_id: nodeId('RE', release.id),
      tag_name: release.tagName,
      target_commitish: release.targetCommitish,
      name: release.name,
      draft: release.draft,
      immutable: false,
      prerelease: release.prerelease,
      created_at: iso(release.createdAt),
      updated_at: iso(release.updatedAt),
      published_at: release.publishedAt ? iso(release.publishedAt) : null,
      assets: release.assets.map((asset) => this.asset(asset)),
      tarball_url: `${this.repoApi(release.repo)}/tarball/${encodeURIComponent(release.tagName)}`,
      zipball_url: `${this.repoApi(release.repo)}/zipball/${encodeURIComponent(release.tagName)}`,
      body: release.body,
    };
  }

  ref(repo: RepoRecord, name: string, target: string): RefJson {
    const annotated = repo.tagObjects.has(target);
    return {
      ref: name,
      node_id: nodeId('REF', `${repo.id}:${name}`),
      url: `${this.repoApi(repo)}/git/${name}`,
      object: {
        sha: target,
        type: annotated ? 'tag' : 'commit',
        url: `${this.repoApi(repo)}/git/${annotated ? 'tags' : 'commits'}/${target}`,
      },
    };
  }

  gitTag(repo: RepoRecord, tag: TagObjectRecord): GitTagJson {
    return {
      node_id: nodeId('TAG', tag.sha),
      sha: tag.sha,
      url: `${this.repoApi(repo)}/git/tags/${tag.sha}`,
      tag: tag.tag,
      message: tag.message,
      tagger: {
        name: tag.tagger.login,
        email: `${tag.tagger.login}@users.noreply.github.com`,
        date: iso(tag.date),
      },
      object: {
        sha: tag.commitSha,
        type: 'commit',
        url: `${this.repoApi(repo)}/git/commits/${tag.commitSha}`,
      },
      verification: UNSIGNED,
    };
  }

  commit(repo: RepoRecord, commit: CommitRecord): CommitJson {
    const api = this.repoApi(repo);
    const gitUser = {
      name: commit.author.login,
      email: `${commit.author.login}@users.noreply.github.com`,
      date: iso(commit.date),
    };
    return {
      sha: commit.sha,
      node_id: nodeId('C', commit.sha),
      commit: {
        author: gitUser,
        committer: gitUser,
        message: commit.message,
        tree: { sha: commit.treeSha, url: `${api}/git/trees/${commit.treeSha}` },
        url: `${api}/git/commits/${commit.sha}`,
        comment_count: 0,
        verification: UNSIGNED,
      },
      url: `${api}/commits/${commit.sha}`,
      html_url: `${this.origins.web}/${repo.fullName}/commit/${commit.sha}`,
      comments_url: `${api}/commits/${commit.sha}/comments`,
      author: this.user(commit.author),
      committer: this.user(commit.author),
      parents: commit.parents.map((sha) => ({
        sha,
        url: `${api}/commits/${sha}`,
        html_url: `${this.origins.web}/${repo.fullName}/commit/${sha}`,
      })),
      stats: { total: 0, additions: 0, deletions: 0 },
      files: [],
    };
  }

  tag(repo: RepoRecord, name: string, commitSha: string): TagJson {
    const api = this.repoApi(repo);
    return {
      name,
      commit: { sha: commitSha, url: `${api}/commits/${commitSha}` },
      zipball_url: `${api}/zipball/refs/tags/${encodeURIComponent(name)}`,
      tarball_url: `${api}/tarball/refs/tags/${encodeURIComponent(name)}`,
      node_id: nodeId('REF', `${repo.id}:refs/tags/${name}`),
    };
  }

  private contentLinks(repo: RepoRecord, path: string, ref: string, kind: 'blob' | 'tree', sha: string) {
    const self = `${this.repoApi(repo)}/contents/${encodePath(path)}?ref=${encodeURIComponent(ref)}`;
    const git = `${this.repoApi(repo)}/git/${kind === 'blob' ? 'blobs' : 'trees'}/${sha}`;
    const html = `${this.origins.web}/${repo.fullName}/${kind}/${encodeURIComponent(ref)}/${encodePath(path)}`;
    return { url: self, git_url: git, html_url: html, _links: { self, git, html } };
  }

  /** The raw file URL GitHub gives is on its raw host; here the web origin serves it. */
  private rawUrl(repo: RepoRecord, path: string, ref: string) {
    return `${this.origins.web}/${repo.fullName}/raw/${encodeURIComponent(ref)}/${encodePath(path)}`;
  }

  contentFile(repo: RepoRecord, path: string, ref: string, blob: BlobRecord): ContentFileJson {
    return {
      type: 'file',
      name: path.split('/').pop() ?? path,
      path,
      sha: blob.sha,
      size: blob.bytes.length,
      ...this.contentLinks(repo, path, ref, 'blob', blob.sha),
      download_url: this.rawUrl(repo, path, ref),
      content: base64Lines(blob.bytes),
      encoding: 'base64',
    };
  }

  contentEntry(repo: RepoRecord, path: string, ref: string, entry: BlobRecord | { treeSha: string }) {
    const isFile = 'bytes' in entry;
    const sha = isFile ? entry.sha : entry.treeSha;
    const json: ContentEntryJson = {
      type: isFile ? 'file' : 'dir',
      name: path.split('/').pop() ?? path,
      path,
      sha,
      size: isFile ? entry.bytes.length : 0,
      ...this.contentLinks(repo, path, ref, isFile ? 'blob' : 'tree', sha),
      download_url: isFile ? this.rawUrl(repo, path, ref) : null,
    };
    return json;
  }

  hook(hook: HookRecord): HookJson {
    const api = `${this.repoApi(hook.repo)}/hooks/${hook.id}`;
    return {
      type: 'Repository',
      id: hook.id,
      name: 'web',
      active: hook.active,
      events: hook.events,
      config: {
        content_type: hook.contentType,
        insecure_ssl: '0',
        url: hook.url,
        ...(hook.secret ? { secret: '********' } : {}),
      },
      updated_at: iso(hook.updatedAt),
      created_at: iso(hook.createdAt),
      url: api,
      test_url: `${api}/test`,
      ping_url: `${api}/pings`,
      deliveries_url: `${api}/deliveries`,
      last_response: hook.lastResponse,
    };
  }
}
