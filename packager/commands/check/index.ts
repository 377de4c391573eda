import path from 'node:path';
import type { Command } from 'commander';
import { errorsOf, warningsOf, type Diagnostic } from '../../../bonsai-schema/index.js';
import { EXIT, type ExitCode } from '../../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../../common/io.js';
import { withVerbHelp } from '../../../common/verb-help.js';
import type { ActionRunner } from '../../../common/verb.js';
import { checkRelease } from '../../check/check.js';
import { archiveLimitOptions, archiveLimits, type ArchiveLimitOptions } from '../archive-limits.js';
import { resolveRepo, resolveVersion } from '../../project/git.js';
import { loadPublicKeys } from '../../signing/keys.js';
import { displayPath, openProject } from '../../project/project.js';
import { diagnosticJson, plural, printDiagnostics, reportingFailures, sortDiagnostics } from '../report.js';

interface CheckOptions extends ArchiveLimitOptions {
  dist?: string;
  version?: string;
  repo?: string;
  strict?: boolean;
  json?: boolean;
  key?: string[];
}

export function registerCheck(program: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    archiveLimitOptions(
      program
        .command('check')
        .summary('Say now what the registry and the agent will say about this release.')
        .description(
          'Check a release before it exists, in four steps: bonsai.yml (structure, duplicate builds, ' +
            "filters that do not parse or never match); the registry's own compile over the files in --dist " +
            '(the bonsai-schema function its ingest calls: every asset and checksum file present, every ' +
            "sha512 extractable); each archive's sha512 recomputed against its checksum line; and each " +
            'archive read as the Sensu agent reads it (format by content, bin/ lib/ include/ at the root, ' +
            'exec bits, no duplicate, traversing, linked or special entries). Every problem is listed as ' +
            'FILE:LINE:COL  severity CODE  message, sorted by file, line and column.',
        )
        .argument('[dir]', 'The asset project (default: the current folder).')
        .option('--dist <dir>', 'The folder holding the release files (default: DIR/dist).')
        .option('--version <version>', 'The release tag, verbatim (default: the git tag at HEAD).')
        .option(
          '--repo <name>',
          "The GitHub repository name for #{repo} (default: the origin remote's, else the folder's).",
        )
        .option('--strict', 'Fail on warnings too (a filter that never matches, say).')
        .option(
          '--key <pubfile>',
          'Require every checksum file to be signed by this minisign public key, as a registry whose namespace has keys does (repeatable).',
          (value: string, previous: string[] = []) => [...previous, value],
        ),
    ).option('--json', 'Print one JSON object: {ok, repo, version, archives, diagnostics}.'),
    io,
    {
      examples: ['bonsai check --version 1.0.0', 'bonsai check path/to/project --dist path/to/dist --json'],
      exitCodes: [
        [0, 'The registry and the agent will accept the release.'],
        [1, 'They will not (or --strict and there are warnings).'],
        [2, 'Usage error, such as no --version and no git tag at HEAD.'],
      ],
    },
  ).action(
    run((dir: string | undefined, options: CheckOptions) =>
      reportingFailures(io, options.json, () => check(io, dir, options)),
    ),
  );
}

async function check(io: Io, dir: string | undefined, options: CheckOptions): Promise<ExitCode> {
  const limits = archiveLimits(options);
  const keys = await loadPublicKeys(io.cwd, options.key ?? []);
  const project = await openProject(io.cwd, dir);
  const [version, repo] = await Promise.all([
    resolveVersion(project.dir, options.version),
    resolveRepo(project.dir, options.repo),
  ]);
  const dist =
    options.dist === undefined ? path.join(project.dir, 'dist') : path.resolve(io.cwd, options.dist);
  const show = (p: string) => displayPath(io.cwd, p);
  const report = await checkRelease({ project, dist, repo, version, show, limits, keys });

  // Checksum and archive diagnostics name a file in dist: show where it is.
  const located = sortDiagnostics(
    report.diagnostics.map((d): Diagnostic =>
      d.file === undefined ? d : { ...d, file: show(path.join(dist, d.file)) },
    ),
    project.configPath,
  );
  const errors = errorsOf(located).length;
  const warnings = warningsOf(located).length;
  const ok = errors === 0 && !(options.strict && warnings > 0);

  if (options.json) {
    writeJson(io.stdout, {
      ok,
      repo,
      version,
      dist: show(dist),
      releaseFiles: report.releaseFiles,
      archives: report.archives,
      diagnostics: located.map((d) => diagnosticJson(d, project.configPath)),
    });
  } else {
    printDiagnostics(io.stdout, located, project.configPath);
    const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
    writeLine(
      io.stdout,
      ok
        ? `check passed: ${repo} ${version}, ${plural(report.archives.length, 'archive')} in ${show(dist)} verified (${counts})`
        : `check failed: ${repo} ${version}: ${counts}`,
    );
  }
  return ok ? EXIT.OK : EXIT.INVALID;
}
