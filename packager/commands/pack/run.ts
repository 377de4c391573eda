import path from 'node:path';
import {
  errorsOf,
  keyIdHex,
  planRelease,
  signMessage,
  SIGNATURE_SUFFIX,
} from '../../../bonsai-schema/index.js';
import { EXIT, type ExitCode } from '../../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../../common/io.js';
import { PackagerError } from '../../errors.js';
import { packProject, type PackResult } from '../../pack/pack.js';
import { changesSince, resolveRepo, resolveVersion } from '../../project/git.js';
import { displayPath, openProject, requireConfig } from '../../project/project.js';
import { sourceDateEpoch } from '../../project/source-date.js';
import { loadSigningKey } from '../../signing/keys.js';
import { formatBytes, plural, printDiagnostics, ProgressLine, reportingFailures } from '../report.js';
import { wholeNumber } from '../archive-limits.js';

export interface PackOptions {
  version?: string;
  repo?: string;
  out?: string;
  json?: boolean;
  strict?: boolean;
  sign?: string;
  jobs?: string;
}

/** `bonsai pack`: loaded when the verb runs (cli/ registers it from ./index.ts). */
export function runPack(io: Io, dir: string | undefined, options: PackOptions): Promise<ExitCode> {
  return reportingFailures(io, options.json, () => pack(io, dir, options));
}

async function pack(io: Io, dir: string | undefined, options: PackOptions): Promise<ExitCode> {
  const mtime = sourceDateEpoch(io.env);
  const jobs = options.jobs === undefined ? undefined : wholeNumber('--jobs', options.jobs);
  // Read the key before any work: a wrong key must not cost a whole pack.
  const signingKey = await loadSigningKey(io.cwd, io.env, options.sign);
  const project = await openProject(io.cwd, dir);
  printDiagnostics(io.stderr, project.diagnostics, project.configPath);
  const config = requireConfig(project);
  const [version, repo] = await Promise.all([
    resolveVersion(project.dir, options.version),
    resolveRepo(project.dir, options.repo),
  ]);
  const planned = planRelease(config, { repo, tag: version });
  printDiagnostics(io.stderr, planned.diagnostics, project.configPath);
  if (errorsOf(planned.diagnostics).length > 0) {
    throw new PackagerError(
      'CONFIG_INVALID',
      `${project.configPath}: file names cannot be built for ${repo} ${version}`,
    );
  }
  const out = options.out === undefined ? path.join(project.dir, 'dist') : path.resolve(io.cwd, options.out);
  const show = (p: string) => displayPath(io.cwd, p);
  const dirty = await dirtyTree(project.dir, version, path.basename(project.configPath));
  if (dirty && options.strict) throw dirty;
  if (dirty) {
    writeLine(io.stderr, `warning [${dirty.code}]: ${dirty.message}`);
    writeLine(io.stderr, `hint: ${dirty.hint}`);
  }

  const progress = new ProgressLine(io.stderr);
  let result: PackResult;
  try {
    result = await packProject({
      dir: project.dir,
      out,
      builds: planned.builds,
      mtime,
      show,
      ...(jobs !== undefined ? { concurrency: jobs } : {}),
      // The signed timestamp is SOURCE_DATE_EPOCH's: Ed25519 is deterministic, so signatures reproduce too.
      ...(signingKey
        ? {
            sign: (fileName: string, bytes: Buffer) =>
              signMessage(bytes, signingKey, { fileName, timestamp: mtime.getTime() / 1000 }),
          }
        : {}),
      onProgress: (p) =>
        progress.update(
          `packing ${p.archivesDone}/${p.archivesTotal} archives  ${formatBytes(p.bytesRead)} / ${formatBytes(p.bytesTotal)}` +
            (p.bytesTotal > 0 ? `  ${Math.floor((100 * p.bytesRead) / p.bytesTotal)}%` : ''),
          p.archivesDone === p.archivesTotal,
        ),
    });
  } finally {
    progress.clear();
  }

  if (options.json) {
    writeJson(io.stdout, {
      ok: true,
      repo,
      version,
      out: show(out),
      mtime: mtime.toISOString(),
      warnings: dirty ? [dirty.toJSON()] : [],
      archives: result.archives.map((a) => ({ ...a, path: show(a.path) })),
      checksumFiles: result.checksumFiles.map((c) => ({
        ...c,
        path: show(c.path),
        ...(c.signature ? { signature: show(c.signature) } : {}),
      })),
      ...(signingKey ? { signedBy: keyIdHex(signingKey.keyId) } : {}),
    });
  } else {
    const width = Math.max(...result.archives.map((a) => a.fileName.length));
    for (const a of result.archives) {
      writeLine(
        io.stdout,
        `${a.fileName.padEnd(width)}  ${formatBytes(a.size).padStart(10)}  sha512:${a.sha512.slice(0, 16)}…`,
      );
    }
    for (const c of result.checksumFiles) {
      writeLine(io.stdout, `${c.fileName}  (${plural(c.archives.length, 'archive')})`);
      if (c.signature)
        writeLine(
          io.stdout,
          `${c.fileName}${SIGNATURE_SUFFIX}  (signed by key ${keyIdHex(signingKey!.keyId)})`,
        );
    }
  }
  writeLine(
    io.stderr,
    `packed ${repo} ${version}: ${plural(result.archives.length, 'archive')} and ${plural(result.checksumFiles.length, 'checksum file')} in ${show(out)}`,
  );
  return EXIT.OK;
}

/** What pack reads from the project (pack/plan.ts), as git pathspecs, and the bonsai.yml the registry reads. */
const PACKED_PATHSPECS = [
  'bin',
  'lib',
  'include',
  'build',
  ':(glob,icase)readme*',
  ':(glob,icase)licen[cs]e*',
  ':(glob,icase)changelog*',
];

/**
 * PACK_DIRTY_TREE when the files pack reads (or bonsai.yml) differ from the commit of the tag: the archives
 * would not be what the tag's source builds, and the registry reads bonsai.yml at the tag. Undefined when
 * clean or not in a git repository.
 */
async function dirtyTree(dir: string, tag: string, configName: string): Promise<PackagerError | undefined> {
  const changes = await changesSince(dir, tag, [...PACKED_PATHSPECS, configName]);
  if (!changes || changes.files.length === 0) return undefined;
  const listed = changes.files.slice(0, 10).map((f) => `${f.path} (${f.change})`);
  if (changes.files.length > 10) listed.push(`and ${changes.files.length - 10} more`);
  const against =
    changes.against === 'HEAD'
      ? `HEAD (${changes.commit.slice(0, 7)}; there is no tag ${tag} yet)`
      : `${changes.against} (${changes.commit.slice(0, 7)})`;
  return new PackagerError(
    'PACK_DIRTY_TREE',
    `${plural(changes.files.length, 'packed file')} ${changes.files.length === 1 ? 'differs' : 'differ'} from ${against}: ${listed.join(', ')}`,
    {
      hint:
        'the archives would not be what the tag builds: commit the changes and tag that commit, or pack a ' +
        'clean checkout of the tag (git stash -u); --strict refuses to pack a dirty tree',
    },
  );
}
