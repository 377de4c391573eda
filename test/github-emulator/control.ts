import type { HookRecord } from './model.js';
import type { AssetJson, HookJson, ReleaseJson, Renderer, RepoJson } from './render.js';
import type {
  AssetInput,
  CommitInput,
  CreateRepoInput,
  EmulatorState,
  HookInput,
  ReleaseInput,
} from './state.js';

/**
 * The typed API tests (and the seed) use to arrange the emulated GitHub directly, without HTTP. Changes
 * made here behave as if made on github.com: creating a release fires its webhooks.
 */
export class EmulatorControl {
  constructor(
    private state: EmulatorState,
    private render: Renderer,
  ) {}

  /** `owner/name`; public unless `private: true`. */
  createRepo(fullName: string, options: Omit<CreateRepoInput, 'owner' | 'name'> = {}): RepoJson {
    const [owner = '', name = ''] = fullName.split('/');
    return this.render.repo(this.state.createRepo({ ...options, owner, name }));
  }

  /** Edits the repository's description, as its owner would on github.com. */
  setDescription(fullName: string, description: string | null): void {
    this.state.repo(fullName).description = description;
  }

  /** Commits files (on top of the branch's current tree) and optionally tags the commit; returns its sha. */
  commit(fullName: string, input: CommitInput): string {
    return this.state.commit(this.state.repo(fullName), input);
  }

  /** Creates or moves a tag to an existing commit. */
  tag(fullName: string, tag: string, commitSha: string, options: { annotated?: boolean } = {}) {
    this.state.setTag(this.state.repo(fullName), tag, commitSha, options);
  }

  deleteTag(fullName: string, tag: string) {
    this.state.deleteTag(this.state.repo(fullName), tag);
  }

  /** As `POST /repos/{o}/{r}/releases` would, authored by `author` (the owner unless given). */
  createRelease(fullName: string, input: ReleaseInput & { author?: string }): ReleaseJson {
    const repo = this.state.repo(fullName);
    const author = this.state.user(input.author ?? repo.owner.login);
    return this.render.release(this.state.createRelease(repo, input, author));
  }

  /** Every release of the repository, drafts included, newest first. */
  releases(fullName: string): ReleaseJson[] {
    return this.state
      .releases(this.state.repo(fullName), { drafts: true })
      .map((r) => this.render.release(r));
  }

  addAsset(releaseId: number, input: AssetInput & { uploader?: string }): AssetJson {
    const release = this.state.release(releaseId);
    if (!release) throw new Error(`github-emulator: no release ${releaseId}`);
    const uploader = this.state.user(input.uploader ?? release.repo.owner.login);
    return this.render.asset(this.state.addAsset(release, input, uploader));
  }

  /** The stored bytes of an asset (what the CDN serves). */
  assetBytes(assetId: number): Buffer {
    const asset = this.state.asset(assetId);
    if (!asset) throw new Error(`github-emulator: no asset ${assetId}`);
    return asset.bytes;
  }

  /** A token for `login`: read-only unless `write`; every repository unless `repos` lists some. */
  addToken(token: string, options: { login: string; write?: boolean; repos?: string[] }) {
    this.state.addToken(token, options);
  }

  /** A repository webhook; GitHub pings it at once. `events` defaults to `['release']` here. */
  addHook(fullName: string, input: HookInput & { contentType?: HookRecord['contentType'] }): HookJson {
    const repo = this.state.repo(fullName);
    const hook = this.state.addHook(repo, { events: ['release'], contentType: 'json', ...input }, repo.owner);
    return this.render.hook(hook);
  }
}
