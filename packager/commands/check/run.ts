import path from 'node:path';
import { errorsOf, warningsOf, type Diagnostic } from '../../../bonsai-schema/index.js';
import { EXIT, type ExitCode } from '../../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../../common/io.js';
import { checkRelease } from '../../check/check.js';
import { archiveLimits, type ArchiveLimitOptions } from '../archive-limits.js';
import { resolveRepo, resolveVersion } from '../../project/git.js';
import { loadPublicKeys } from '../../signing/keys.js';
import { displayPath, openProject } from '../../project/project.js';
import { diagnosticJson, plural, printDiagnostics, reportingFailures, sortDiagnostics } from '../report.js';

export interface CheckOptions extends ArchiveLimitOptions {
  dist?: string;
  version?: string;
  repo?: string;
  strict?: boolean;
  json?: boolean;
  key?: string[];
}

/** `bonsai check`: loaded when the verb runs (cli/ registers it from ./index.ts). */
export function runCheck(io: Io, dir: string | undefined, options: CheckOptions): Promise<ExitCode> {
  return reportingFailures(io, options.json, () => check(io, dir, options));
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
