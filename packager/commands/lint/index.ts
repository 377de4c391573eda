import type { Command } from 'commander';
import {
  errorsOf,
  formatDiagnostic,
  planRelease,
  warningsOf,
  type BonsaiConfig,
  type Diagnostic,
} from '../../../bonsai-schema/index.js';
import { EXIT, writeJson, writeLine, type ExitCode, type Io } from '../../../cli/io.js';
import type { ActionRunner } from '../../../cli/program.js';
import { UsageError } from '../../../cli/usage-error.js';
import { findConfigFile, parseConfigFile } from '../../project/config-file.js';
import { plural } from '../report.js';

interface LintOptions {
  repo?: string;
  tag?: string;
  json?: boolean;
}

interface LintedBuild {
  platform: string;
  arch: string;
  asset_filename: string;
  sha_filename: string;
  filters: string[];
}

export function registerLint(program: Command, io: Io, run: ActionRunner): void {
  program
    .command('lint')
    .summary('check a bonsai.yml against every Bonsai rule')
    .description(
      'Check a bonsai.yml against every rule Bonsai applies when it ingests a release, and the ones it\n' +
        'should (duplicate builds, filters that never match, unknown tokens). Each problem is listed as\n' +
        'FILE:LINE:COL  severity CODE  message. With --repo and --tag, also show the file names each build\n' +
        'expects in the GitHub release.',
    )
    .argument('[file]', 'the bonsai.yml, or a folder holding one (default: the current folder)')
    .option('--repo <name>', 'GitHub repository name for #{repo} (OWNER/NAME or NAME)')
    .option('--tag <tag>', 'release tag for #{version}, verbatim (a leading v is kept)')
    .option('--json', 'print one JSON object: {valid, errors, warnings, builds}')
    .addHelpText(
      'after',
      '\nExit codes: 0 valid (warnings allowed), 1 invalid, 2 usage error.\n\n' +
        'Examples:\n  bonsai lint\n  bonsai lint path/to/.bonsai.yml --repo sensu-slack-handler --tag 1.5.0 --json\n',
    )
    .action(run((file: string | undefined, options: LintOptions) => lint(io, file, options)));
}

async function lint(io: Io, target: string | undefined, options: LintOptions): Promise<ExitCode> {
  if ((options.repo === undefined) !== (options.tag === undefined)) {
    throw new UsageError('--repo and --tag go together: file names need both #{repo} and #{version}');
  }
  const found = await findConfigFile(io.cwd, target);
  const displayPath = found.file ? found.file.displayPath : found.folder;
  let diagnostics: Diagnostic[] = found.diagnostics;
  let builds: LintedBuild[] = [];
  if (found.file) {
    const parsed = parseConfigFile(found.file);
    diagnostics = parsed.diagnostics;
    if (parsed.config) {
      const lintedBuilds = buildsOf(parsed.config, options);
      builds = lintedBuilds.builds;
      diagnostics = [...diagnostics, ...lintedBuilds.diagnostics];
    }
  }
  const errors = errorsOf(diagnostics);
  const valid = errors.length === 0;
  if (options.json) {
    // The shape for lint: {code, message, line, column} (no severity or file: errors and warnings are
    // separate lists, and the file is the one linted).
    const located = (d: Diagnostic) => ({ code: d.code, message: d.message, line: d.line, column: d.column });
    writeJson(io.stdout, {
      valid,
      errors: errors.map(located),
      warnings: warningsOf(diagnostics).map(located),
      builds,
    });
  } else {
    printHuman(io, displayPath, diagnostics, builds, options);
  }
  return valid ? EXIT.OK : EXIT.INVALID;
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
  const ordered = [...diagnostics].sort((a, b) => a.line - b.line || a.column - b.column);
  for (const d of ordered) writeLine(io.stdout, formatDiagnostic(d, displayPath));
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
