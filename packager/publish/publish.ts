import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PackagerError } from '../errors.js';
import { gitHubFailure, type GitHubClient } from '../github/client.js';

export interface LocalFile {
  name: string;
  path: string;
  size: number;
  sha512: string;
}

export interface PublishRequest {
  client: GitHubClient;
  owner: string;
  repo: string;
  tag: string;
  files: readonly LocalFile[];
  /** undefined: keep an existing release's state (a new one is published); true/false: set it. */
  draft: boolean | undefined;
  prerelease: boolean | undefined;
  notes: string | undefined;
  replace: boolean;
  onEvent: (event: PublishEvent) => void;
}

export type FileAction = 'uploaded' | 'replaced' | 'skipped';

export type PublishEvent =
  | { kind: 'release'; created: boolean; id: number; tag: string }
  | { kind: 'uploading'; name: string; index: number; total: number; size: number }
  | { kind: 'file'; name: string; action: FileAction; size: number };

export interface PublishedFile {
  name: string;
  size: number;
  sha512: string;
  action: FileAction;
  url: string;
}

export interface PublishResult {
  release: { id: number; tag: string; url: string; draft: boolean; prerelease: boolean; created: boolean };
  files: PublishedFile[];
}

interface RemoteAsset {
  id: number;
  name: string;
  size: number;
  state: string;
  browser_download_url: string;
}

interface RemoteRelease {
  id: number;
  tag_name: string;
  draft: boolean;
  prerelease: boolean;
  body?: string | null;
  html_url: string;
  upload_url: string;
}

type Plan = { file: LocalFile; action: 'upload' | 'replace' | 'skip'; existing?: RemoteAsset };

/**
 * Publishes the release for `tag`: reuses the release that exists for the tag or creates one AS A DRAFT,
 * uploads every file (skipping those already there with the same bytes, refusing different ones unless
 * `replace`), and only then publishes it, so a registry's webhook never sees a release without its files.
 * Every conflict is found before the first upload: a refused run changes nothing.
 */
export async function publishRelease(request: PublishRequest): Promise<PublishResult> {
  const { client, owner, repo, tag } = request;
  const full = `${owner}/${repo}`;
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw gitHubFailure(err, what, full);
    }
  };

  const repository = await call(`reading repository ${full}`, () => client.rest.repos.get({ owner, repo }));
  if (repository.data.permissions && !repository.data.permissions.push) {
    throw new PackagerError(
      'GITHUB_NO_PERMISSION',
      `the token in GITHUB_TOKEN can read ${full} but not write to it`,
      {
        hint: `give the token contents: write on ${full} (classic tokens: the repo scope)`,
      },
    );
  }
  await requireTag(client, owner, repo, tag);

  let release = await call(`listing the releases of ${full}`, () => findRelease(client, owner, repo, tag));
  if (release && !release.draft && request.draft === true) {
    throw new PackagerError(
      'PUBLISH_RELEASE_PUBLISHED',
      `the release for ${tag} on ${full} is already published; --draft would hide it`,
      {
        hint: 'leave out --draft to add files to the published release, or turn it into a draft on GitHub first',
      },
    );
  }
  const existing = release
    ? await call(`listing the files of release ${tag}`, () =>
        client.paginate(client.rest.repos.listReleaseAssets, {
          owner,
          repo,
          release_id: release!.id,
          per_page: 100,
        }),
      )
    : [];
  const plan = await call(`comparing the files of release ${tag}`, () =>
    planUploads(client, owner, repo, request.files, existing as RemoteAsset[], request.replace),
  );

  const created = release === undefined;
  if (!release) {
    const made = await call(`creating the release ${tag}`, () =>
      client.rest.repos.createRelease({
        owner,
        repo,
        tag_name: tag,
        name: tag,
        body: request.notes ?? '',
        draft: true,
        prerelease: request.prerelease ?? false,
      }),
    );
    release = made.data as RemoteRelease;
  }
  const target = release;
  request.onEvent({ kind: 'release', created, id: target.id, tag });

  const files: PublishedFile[] = [];
  const uploads = plan.filter((p) => p.action !== 'skip');
  for (const step of plan) {
    const { file } = step;
    if (step.action === 'skip') {
      files.push({ ...file, action: 'skipped', url: step.existing!.browser_download_url });
      request.onEvent({ kind: 'file', name: file.name, action: 'skipped', size: file.size });
      continue;
    }
    request.onEvent({
      kind: 'uploading',
      name: file.name,
      index: uploads.indexOf(step) + 1,
      total: uploads.length,
      size: file.size,
    });
    if (step.existing) {
      await call(`deleting the old ${file.name}`, () =>
        client.rest.repos.deleteReleaseAsset({ owner, repo, asset_id: step.existing!.id }),
      );
    }
    const data = await readFile(file.path);
    const uploaded = await call(`uploading ${file.name}`, () =>
      client.rest.repos.uploadReleaseAsset({
        owner,
        repo,
        release_id: target.id,
        name: file.name,
        // Octokit sends a Buffer as is; its type only lists string.
        data: data as unknown as string,
        url: target.upload_url,
        headers: { 'content-type': contentType(file.name), 'content-length': data.length },
      }),
    );
    const action: FileAction = step.existing && step.existing.state === 'uploaded' ? 'replaced' : 'uploaded';
    files.push({ ...file, action, url: uploaded.data.browser_download_url });
    request.onEvent({ kind: 'file', name: file.name, action, size: file.size });
  }

  const wantDraft = request.draft ?? (created ? false : target.draft);
  const wantPrerelease = request.prerelease ?? target.prerelease;
  const wantNotes = request.notes ?? target.body ?? '';
  let final = target;
  if (
    wantDraft !== target.draft ||
    wantPrerelease !== target.prerelease ||
    wantNotes !== (target.body ?? '')
  ) {
    const updated = await call(`${wantDraft ? 'updating' : 'publishing'} the release ${tag}`, () =>
      client.rest.repos.updateRelease({
        owner,
        repo,
        release_id: target.id,
        draft: wantDraft,
        prerelease: wantPrerelease,
        body: wantNotes,
      }),
    );
    final = updated.data as RemoteRelease;
  }
  return {
    release: {
      id: final.id,
      tag,
      url: final.html_url,
      draft: final.draft,
      prerelease: final.prerelease,
      created,
    },
    files,
  };
}

async function requireTag(client: GitHubClient, owner: string, repo: string, tag: string): Promise<void> {
  try {
    await client.rest.git.getRef({ owner, repo, ref: `tags/${tag}` });
  } catch (err) {
    if ((err as { status?: number }).status === 404) {
      throw new PackagerError('PUBLISH_TAG_MISSING', `tag ${tag} does not exist on ${owner}/${repo}`, {
        hint: `push it first: git tag ${tag} && git push origin ${tag}`,
      });
    }
    throw gitHubFailure(err, `reading tag ${tag}`, `${owner}/${repo}`);
  }
}

/** The release for `tag`, drafts included (GitHub's get-by-tag does not see drafts). */
async function findRelease(
  client: GitHubClient,
  owner: string,
  repo: string,
  tag: string,
): Promise<RemoteRelease | undefined> {
  let found: RemoteRelease | undefined;
  await client.paginate(client.rest.repos.listReleases, { owner, repo, per_page: 100 }, (response, done) => {
    found = (response.data as RemoteRelease[]).find((r) => r.tag_name === tag);
    if (found) done();
    return [];
  });
  return found;
}

async function planUploads(
  client: GitHubClient,
  owner: string,
  repo: string,
  files: readonly LocalFile[],
  existing: readonly RemoteAsset[],
  replace: boolean,
): Promise<Plan[]> {
  const plan: Plan[] = [];
  const conflicts: string[] = [];
  for (const file of files) {
    const remote = existing.find((a) => a.name === file.name);
    // A failed upload leaves a `starter` asset behind: ours to replace, whatever the flag.
    if (!remote || remote.state !== 'uploaded') {
      plan.push(remote ? { file, action: 'replace', existing: remote } : { file, action: 'upload' });
      continue;
    }
    if (remote.size === file.size && (await remoteSha512(client, owner, repo, remote.id)) === file.sha512) {
      plan.push({ file, action: 'skip', existing: remote });
      continue;
    }
    conflicts.push(`${file.name} (${remote.size} bytes there, ${file.size} here)`);
    plan.push({ file, action: 'replace', existing: remote });
  }
  if (conflicts.length > 0 && !replace) {
    throw new PackagerError(
      'PUBLISH_ASSET_CONFLICT',
      `the release already has different files with these names: ${conflicts.join(', ')}; nothing was uploaded`,
      {
        hint: 'a published file is what users pinned by sha512: cut a new version, or pass --replace if nobody can have fetched it yet',
      },
    );
  }
  return plan;
}

async function remoteSha512(client: GitHubClient, owner: string, repo: string, id: number): Promise<string> {
  const response = await client.rest.repos.getReleaseAsset({
    owner,
    repo,
    asset_id: id,
    headers: { accept: 'application/octet-stream' },
  });
  const bytes = Buffer.from(response.data as unknown as ArrayBuffer);
  return createHash('sha512').update(bytes).digest('hex');
}

function contentType(name: string): string {
  if (name.endsWith('.tar.gz') || name.endsWith('.tgz')) return 'application/gzip';
  if (name.endsWith('.tar')) return 'application/x-tar';
  return 'text/plain';
}
