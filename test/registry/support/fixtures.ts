import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { GitHubEmulator } from '../../github-emulator/index.js';

export const sha512 = (bytes: Buffer | string) => createHash('sha512').update(bytes).digest('hex');

export interface BuildSpec {
  platform: string;
  arch: string;
  filters: string[];
}

/** Sensu's usual pair: linux/amd64 and windows/amd64. */
export const DEFAULT_BUILDS: BuildSpec[] = [
  {
    platform: 'linux',
    arch: 'amd64',
    filters: ["entity.system.os == 'linux'", "entity.system.arch == 'amd64'"],
  },
  {
    platform: 'Windows',
    arch: 'amd64',
    filters: ["entity.system.os == 'windows'", "entity.system.arch == 'amd64'"],
  },
];

/** A bonsai.yml as Sensu plugins write it (goreleaser names, one sha512 checksum file). */
export function bonsaiYml(builds: BuildSpec[] = DEFAULT_BUILDS, extra = ''): string {
  const lines = ['---', 'description: "#{repo}"', 'builds:'];
  for (const b of builds) {
    lines.push(
      `- platform: "${b.platform}"`,
      `  arch: "${b.arch}"`,
      `  asset_filename: "#{repo}_#{version}_${b.platform.toLowerCase()}_${b.arch}.tar.gz"`,
      '  sha_filename: "#{repo}_#{version}_sha512-checksums.txt"',
      '  filter:',
      ...b.filters.map((f) => `  -  "${f}"`),
    );
  }
  return lines.join('\n') + '\n' + extra;
}

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  mode?: number;
  content?: string | Buffer;
  linkname?: string;
}

/** A gzip-compressed tar of `entries`, as `bonsai pack` would write one. */
export async function tarGz(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header = { name: e.name, type, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644) };
    if (type === 'file') pack.entry(header, e.content ?? '');
    else pack.entry(e.linkname === undefined ? header : { ...header, linkname: e.linkname });
  }
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

/** An asset archive the agent accepts: bin/ at the root with an executable (unique bytes per call). */
export function assetArchive(command: string, windows = false): Promise<Buffer> {
  return tarGz([
    { name: 'bin/', type: 'directory' },
    {
      name: `bin/${command}${windows ? '.exe' : ''}`,
      mode: 0o755,
      content: `#!/bin/sh\n# ${randomBytes(16).toString('hex')}\necho ok\n`,
    },
  ]);
}

/** The archive names and checksum file a Sensu plugin release carries for `repo` at `tag`. */
export async function releaseFiles(
  repo: string,
  tag: string,
  builds: BuildSpec[] = DEFAULT_BUILDS,
): Promise<{ files: Record<string, Buffer>; checksumName: string; checksums: string }> {
  const version = tag;
  const files: Record<string, Buffer> = {};
  for (const b of builds) {
    files[`${repo}_${version}_${b.platform.toLowerCase()}_${b.arch}.tar.gz`] = await assetArchive(
      repo,
      /windows/i.test(b.platform),
    );
  }
  const checksumName = `${repo}_${version}_sha512-checksums.txt`;
  const checksums = Object.entries(files)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, bytes]) => `${sha512(bytes)}  ${name}\n`)
    .join('');
  return { files, checksumName, checksums };
}

export interface PublishOptions {
  builds?: BuildSpec[];
  /** bonsai.yml text; `null` commits no bonsai.yml at all. */
  yml?: string | null;
  /** Replace or drop (null) files of the release before upload. */
  files?: Record<string, Buffer | string | null>;
  draft?: boolean;
  prerelease?: boolean;
  annotated?: boolean;
  /** README.md at the tag (default `# REPO TAG`); null removes it. */
  readme?: string | null;
  /** The release notes (the release's body). */
  notes?: string;
}

export interface Published {
  commit: string;
  releaseId: number;
  /** Release file name → its sha512 and browser_download_url. */
  files: Record<string, { sha512: string; url: string; id: number }>;
}

/** Commits bonsai.yml, tags it, creates the release and uploads its files, as `bonsai publish` would. */
export async function publish(
  gh: GitHubEmulator,
  fullName: string,
  tag: string,
  options: PublishOptions = {},
): Promise<Published> {
  const repo = fullName.split('/')[1]!;
  const yml = options.yml === undefined ? bonsaiYml(options.builds) : options.yml;
  const commit = gh.state.commit(fullName, {
    files: {
      'bonsai.yml': yml,
      'README.md': options.readme === undefined ? `# ${repo} ${tag}\n` : options.readme,
    },
    tag,
    annotated: options.annotated ?? false,
  });
  const made = await releaseFiles(repo, tag, options.builds);
  const files: Record<string, Buffer | string | null> = {
    ...made.files,
    [made.checksumName]: made.checksums,
    ...options.files,
  };
  const release = gh.state.createRelease(fullName, {
    tag_name: tag,
    draft: options.draft ?? false,
    prerelease: options.prerelease ?? false,
    ...(options.notes === undefined ? {} : { body: options.notes }),
  });
  const out: Published = { commit, releaseId: release.id, files: {} };
  for (const [name, data] of Object.entries(files)) {
    if (data === null) continue;
    const asset = gh.state.addAsset(release.id, { name, data });
    out.files[name] = { sha512: sha512(data), url: asset.browser_download_url, id: asset.id };
  }
  return out;
}
