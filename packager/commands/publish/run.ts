import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorsOf, planRelease, SIGNATURE_SUFFIX, type Diagnostic } from '../../../bonsai-schema/index.js';
import { EXIT, type ExitCode } from '../../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../../common/io.js';
import { UsageError } from '../../../common/usage-error.js';
import { checkRelease } from '../../check/check.js';
import { PackagerError } from '../../errors.js';
import { sha512File } from '../../fs/sha512-file.js';
import { DEFAULT_GITHUB_API_URL } from '../../github/api-url.js';
import { createGitHubClient } from '../../github/client.js';
import { displayPath, openProject, requireConfig } from '../../project/project.js';
import { publishRelease, type LocalFile, type PublishEvent } from '../../publish/publish.js';
import { formatBytes, ProgressLine, reportingFailures } from '../report.js';

export interface PublishOptions {
  repo: string;
  tag: string;
  dist?: string;
  draft?: boolean;
  prerelease?: boolean;
  notes?: string;
  replace?: boolean;
  githubApiUrl?: string;
  pacing: boolean;
  json?: boolean;
}

const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** `bonsai publish`: loaded when the verb runs (cli/ registers it from ./index.ts). */
export function runPublish(io: Io, dir: string | undefined, options: PublishOptions): Promise<ExitCode> {
  return reportingFailures(io, options.json, () => publish(io, dir, options));
}

async function publish(io: Io, dir: string | undefined, options: PublishOptions): Promise<ExitCode> {
  if (!REPO.test(options.repo)) {
    throw new UsageError(`--repo must be OWNER/NAME, not ${JSON.stringify(options.repo)}`);
  }
  const token = io.env.GITHUB_TOKEN;
  if (!token) {
    throw new PackagerError(
      'GITHUB_TOKEN_MISSING',
      'GITHUB_TOKEN is not set: publishing needs a GitHub token',
      {
        hint: 'create a token with contents: write on the repository, then: export GITHUB_TOKEN=...',
      },
    );
  }
  const [owner = '', name = ''] = options.repo.split('/');
  const notes = options.notes === undefined ? undefined : await readNotes(io.cwd, options.notes);

  const project = await openProject(io.cwd, dir);
  const dist =
    options.dist === undefined ? path.join(project.dir, 'dist') : path.resolve(io.cwd, options.dist);
  const show = (p: string) => displayPath(io.cwd, p);
  const report = await checkRelease({ project, dist, repo: name, version: options.tag, show });
  const located = report.diagnostics.map((d): Diagnostic =>
    d.file === undefined ? d : { ...d, file: show(path.join(dist, d.file)) },
  );
  if (!report.ok || errorsOf(located).length > 0) {
    throw new PackagerError(
      'PUBLISH_CHECK_FAILED',
      `check failed for ${options.repo} ${options.tag}: nothing was uploaded`,
      {
        hint: 'fix the problems above (bonsai check shows the same list), then publish again',
        diagnostics: located.map((d) => ({ ...d, file: d.file ?? project.configPath })),
      },
    );
  }

  const files = await releaseFiles(project, dist, name, options.tag);
  const progress = new ProgressLine(io.stderr);
  const client = createGitHubClient({
    apiUrl: options.githubApiUrl ?? io.env.GITHUB_API_URL ?? DEFAULT_GITHUB_API_URL,
    token,
    pacing: options.pacing,
    onNotice: (line) => {
      progress.clear();
      writeLine(io.stderr, line);
    },
  });
  const onEvent = (event: PublishEvent) => {
    if (event.kind === 'release') {
      writeLine(
        io.stderr,
        `${event.created ? 'created draft release' : 'reusing release'} ${event.tag} (id ${event.id})`,
      );
    } else if (event.kind === 'uploading') {
      progress.update(
        `uploading ${event.name} (${event.index}/${event.total}, ${formatBytes(event.size)})`,
        true,
      );
    } else {
      progress.clear();
      const note = event.action === 'skipped' ? 'already there with the same bytes' : formatBytes(event.size);
      writeLine(io.stderr, `${event.action.padEnd(8)} ${event.name} (${note})`);
    }
  };
  const result = await publishRelease({
    client,
    owner,
    repo: name,
    tag: options.tag,
    files,
    draft: options.draft,
    prerelease: options.prerelease,
    notes,
    replace: options.replace ?? false,
    onEvent,
  });
  progress.clear();

  const state = result.release.draft
    ? 'draft'
    : result.release.prerelease
      ? 'published (pre-release)'
      : 'published';
  if (options.json) {
    writeJson(io.stdout, { ok: true, release: result.release, files: result.files });
  } else {
    writeLine(io.stdout, `release ${options.tag} of ${options.repo}: ${state}, ${result.files.length} files`);
    writeLine(io.stdout, result.release.url);
  }
  if (!result.release.created && !result.release.draft && result.files.some((f) => f.action !== 'skipped')) {
    writeLine(
      io.stderr,
      'note: GitHub sends no webhook for files added to a published release: run `bonsai registry sync` or wait for the poller',
    );
  }
  return EXIT.OK;
}

/** The files bonsai.yml names (every archive and checksum file), in build order, each once. */
async function releaseFiles(
  project: Awaited<ReturnType<typeof openProject>>,
  dist: string,
  repo: string,
  tag: string,
): Promise<LocalFile[]> {
  const plan = planRelease(requireConfig(project), { repo, tag });
  // A checksum file's signature goes with it when pack wrote one (the registry looks for it by name).
  const signatures: string[] = [];
  for (const name of plan.checksumFiles) {
    const signature = name + SIGNATURE_SUFFIX;
    if (await isFile(path.join(dist, signature))) signatures.push(signature);
  }
  const names = [...new Set(plan.builds.map((b) => b.assetFilename)), ...plan.checksumFiles, ...signatures];
  return Promise.all(
    names.map(async (fileName) => {
      const file = path.join(dist, fileName);
      const [info, sha512] = await Promise.all([stat(file), sha512File(file)]);
      return { name: fileName, path: file, size: info.size, sha512 };
    }),
  );
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (info) => info.isFile(),
    () => false,
  );
}

async function readNotes(cwd: string, file: string): Promise<string> {
  try {
    return await readFile(path.resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new PackagerError(
      'PUBLISH_NOTES_UNREADABLE',
      `cannot read the release notes ${file}: ${(err as Error).message}`,
    );
  }
}
