import {
  errorsOf,
  explainBuilds,
  planRelease,
  warningsOf,
  type BonsaiConfig,
  type Diagnostic,
} from '../../../bonsai-schema/index.js';
import { EXIT, type ExitCode } from '../../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../../common/io.js';
import { UsageError } from '../../../common/usage-error.js';
import { findConfigFile, parseConfigFile } from '../../project/config-file.js';
import { plural, printDiagnostics, reportingFailures, sortDiagnostics } from '../report.js';

export interface LintOptions {
  repo?: string;
  tag?: string;
  json?: boolean;
  explain?: boolean;
}

interface ExplainedBuild {
  /** The build's number in bonsai.yml; null for the rows about machines no build is chosen for. */
  build: number | null;
  platform: string | null;
  arch: string | null;
  outcome: 'chosen' | 'fails' | 'depends' | 'none';
  machines: string[];
}

interface LintedBuild {
  platform: string;
  arch: string;
  asset_filename: string;
  sha_filename: string;
  filters: string[];
}

/** `bonsai lint`: loaded when the verb runs (cli/ registers it from ./index.ts). */
export function runLint(io: Io, file: string | undefined, options: LintOptions): Promise<ExitCode> {
  return reportingFailures(io, options.json, () => lint(io, file, options));
}

async function lint(io: Io, target: string | undefined, options: LintOptions): Promise<ExitCode> {
  if ((options.repo === undefined) !== (options.tag === undefined)) {
    throw new UsageError('--repo and --tag go together: file names need both #{repo} and #{version}');
  }
  const found = await findConfigFile(io.cwd, target);
  const displayPath = found.file ? found.file.displayPath : found.folder;
  let diagnostics: Diagnostic[] = found.diagnostics;
  let builds: LintedBuild[] = [];
  let explained: ExplainedBuild[] | undefined;
  if (found.file) {
    const parsed = parseConfigFile(found.file);
    diagnostics = parsed.diagnostics;
    if (parsed.config) {
      const lintedBuilds = buildsOf(parsed.config, options);
      builds = lintedBuilds.builds;
      diagnostics = [...diagnostics, ...lintedBuilds.diagnostics];
      if (options.explain) explained = explain(parsed.config);
    }
  }
  diagnostics = sortDiagnostics(diagnostics, displayPath);
  const errors = errorsOf(diagnostics);
  const valid = errors.length === 0;
  if (options.json) {
    // The shape for lint: {code, message, line, column} (no severity or file: errors and warnings are
    // separate lists, and the file is the one linted).
    const located = (d: Diagnostic) => ({
      code: d.code,
      message: d.message,
      line: d.line,
      column: d.column,
      ...(d.hint !== undefined ? { hint: d.hint } : {}),
    });
    writeJson(io.stdout, {
      valid,
      errors: errors.map(located),
      warnings: warningsOf(diagnostics).map(located),
      builds,
      ...(explained ? { explain: explained } : {}),
    });
  } else {
    printHuman(io, displayPath, diagnostics, builds, options);
    if (explained) printExplained(io, explained);
  }
  return valid ? EXIT.OK : EXIT.INVALID;
}

/** Which build the agent installs on each machine (sensu-go up to 6.12: the first that matches). */
function explain(config: BonsaiConfig): ExplainedBuild[] {
  return explainBuilds(config.builds).map((row) => {
    const build = config.builds.find((b) => b.number === row.build);
    return {
      build: build?.number ?? null,
      platform: build?.platform ?? null,
      arch: build?.arch ?? null,
      outcome: row.outcome,
      machines: row.machines,
    };
  });
}

const OUTCOME_LABELS = {
  fails: 'asset fails (a filter throws)',
  depends: 'depends (labels, host names, time)',
  none: 'no build',
} as const;

/** A small table: a build (or what happens instead) and the machines, at most 12 named per row. */
function printExplained(io: Io, rows: readonly ExplainedBuild[]): void {
  writeLine(
    io.stdout,
    'machines each build is installed on (sensu-go up to 6.12 takes the first build that matches):',
  );
  const firstColumn = rows.map((r) =>
    r.outcome === 'chosen' ? `#${r.build} ${r.platform}/${r.arch}` : OUTCOME_LABELS[r.outcome],
  );
  const width = Math.max(...firstColumn.map((c) => c.length));
  rows.forEach((row, i) => {
    const names =
      row.machines.length > 12
        ? [...row.machines.slice(0, 12), `and ${row.machines.length - 12} more`]
        : row.machines;
    writeLine(
      io.stdout,
      `  ${firstColumn[i]!.padEnd(width)}  ${names.length > 0 ? names.join(', ') : '(none)'}`,
    );
  });
}

/** Each build's file names: templates as written, or interpolated when --repo and --tag are given. */
function buildsOf(
  config: BonsaiConfig,
  options: LintOptions,
): { builds: LintedBuild[]; diagnostics: Diagnostic[] } {
  const interpolated =
    options.repo !== undefined && options.tag !== undefined
      ? planRelease(config, { repo: options.repo, tag: options.tag })
      : { builds: config.builds, diagnostics: [] };
  const builds = interpolated.builds.map((b) => ({
    platform: b.platform,
    arch: b.arch,
    asset_filename: b.assetFilename,
    sha_filename: b.shaFilename,
    filters: b.filters,
  }));
  return { builds, diagnostics: interpolated.diagnostics };
}

function printHuman(
  io: Io,
  displayPath: string,
  diagnostics: Diagnostic[],
  builds: LintedBuild[],
  options: LintOptions,
): void {
  printDiagnostics(io.stdout, diagnostics, displayPath);
  if (options.repo !== undefined && builds.length > 0) {
    writeLine(io.stdout, `files expected in the release of ${options.repo} ${options.tag}:`);
    for (const b of builds) {
      writeLine(io.stdout, `  ${b.platform}/${b.arch}: ${b.asset_filename} (sha512 in ${b.sha_filename})`);
    }
  }
  const errors = errorsOf(diagnostics).length;
  const warnings = warningsOf(diagnostics).length;
  const verdict = errors === 0 ? 'valid' : 'invalid';
  writeLine(
    io.stdout,
    `${displayPath}: ${verdict}, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`,
  );
}
