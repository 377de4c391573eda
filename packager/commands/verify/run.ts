import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  agentView,
  archiveDiagnostics,
  type ArchiveEntryInfo,
} from '../../../bonsai-schema/archive-rules.js';
import {
  checkSignatures,
  diagnostic,
  errorsOf,
  NO_POSITION,
  parseChecksums,
  selectChecksum,
  SIGNATURE_HINTS,
  SIGNATURE_SUFFIX,
  warningsOf,
  type Diagnostic,
  type PublicKey,
} from '../../../bonsai-schema/index.js';
import { digestMismatch } from '../../../bonsai-schema/release-archive.js';
import { EXIT, type ExitCode } from '../../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../../common/io.js';
import { UsageError } from '../../../common/usage-error.js';
import { readArchive } from '../../archive/reader.js';
import { archiveLimits, type ArchiveLimitOptions } from '../archive-limits.js';
import { PackagerError } from '../../errors.js';
import { displayPath } from '../../project/project.js';
import { loadPublicKeys } from '../../signing/keys.js';
import { diagnosticJson, formatBytes, plural, printDiagnostics, reportingFailures } from '../report.js';

export interface VerifyOptions extends ArchiveLimitOptions {
  sha512?: string;
  checksums?: string;
  windows?: boolean;
  json?: boolean;
  signature?: string;
  key?: string[];
}

/** `bonsai verify`: loaded when the verb runs (cli/ registers it from ./index.ts). */
export function runVerify(io: Io, archive: string, options: VerifyOptions): Promise<ExitCode> {
  return reportingFailures(io, options.json, () => verify(io, archive, options));
}

async function verify(io: Io, archive: string, options: VerifyOptions): Promise<ExitCode> {
  if (options.sha512 !== undefined && options.checksums !== undefined) {
    throw new UsageError('give --sha512 or --checksums, not both');
  }
  if ((options.key !== undefined || options.signature !== undefined) && options.checksums === undefined) {
    throw new UsageError('--key and --signature verify a checksum file: give --checksums too');
  }
  const limits = archiveLimits(options);
  const keys = await loadPublicKeys(io.cwd, options.key ?? []);
  if (options.sha512 !== undefined && !/^[0-9a-f]{128}$/i.test(options.sha512)) {
    throw new UsageError(`--sha512 must be 128 hex digits (got ${options.sha512.length} characters)`);
  }
  const file = path.resolve(io.cwd, archive);
  const shown = displayPath(io.cwd, file);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new PackagerError('ARCHIVE_NOT_FOUND', `${shown}: no such file`);
  const name = path.basename(file);

  const diagnostics: Diagnostic[] = [];
  const expected = await expectedDigest(io, name, options, diagnostics, keys);
  const reading = await readArchive(file, limits);
  if (expected && expected.sha512.toLowerCase() !== reading.sha512) {
    diagnostics.push(
      digestMismatch({
        archive: name,
        actual: reading.sha512,
        expected: expected.sha512,
        source: expected.source,
        file: expected.file ?? shown,
        ...(expected.line ? { line: expected.line } : {}),
      }),
    );
  }
  // One by one: a spread of a hostile archive's problems would overflow the call stack.
  for (const d of archiveDiagnostics(reading, { file: shown, windows: options.windows === true }))
    diagnostics.push(d);
  const ok = errorsOf(diagnostics).length === 0;
  const agent = agentView(reading.entries);
  const digest = expected
    ? diagnostics.some((d) => d.code === 'ARCHIVE_DIGEST_MISMATCH')
      ? `does NOT match ${expected.source}`
      : `matches ${expected.source}`
    : 'not compared (give --sha512 or --checksums)';

  if (options.json) {
    writeJson(io.stdout, {
      ok,
      archive: shown,
      format: reading.format,
      size: reading.size,
      sha512: reading.sha512,
      digest: expected
        ? {
            expected: expected.sha512.toLowerCase(),
            source: expected.source,
            matches: !digest.startsWith('does NOT'),
          }
        : null,
      entries: reading.entries.map((e) => ({
        name: e.name,
        type: e.type,
        mode: modeString(e),
        size: e.size,
        linkname: e.linkname ?? undefined,
      })),
      agent,
      diagnostics: diagnostics.map((d) => diagnosticJson(d, shown)),
    });
    return ok ? EXIT.OK : EXIT.INVALID;
  }
  const out = io.stdout;
  writeLine(out, `archive  ${shown}`);
  writeLine(out, `format   ${reading.format === 'gzip' ? 'gzip (a tar inside)' : reading.format}`);
  writeLine(out, `size     ${formatBytes(reading.size)} (${reading.size} bytes)`);
  writeLine(out, `sha512   ${reading.sha512}`);
  writeLine(out, `digest   ${digest}`);
  if (reading.entries.length > 0) {
    writeLine(out, `entries  ${reading.entries.length}`);
    for (const e of reading.entries) {
      const link = e.type === 'symlink' || e.type === 'link' ? ` -> ${e.linkname ?? ''}` : '';
      writeLine(out, `  ${modeString(e)}  ${String(e.size).padStart(10)}  ${e.name}${link}`);
    }
    writeLine(out, 'on the agent (extracted into <cache>/<sha512>/):');
    writeLine(
      out,
      `  PATH             ${agent.path.length > 0 ? `bin/ → ${agent.path.map((p) => p.slice(4)).join(', ')}` : '(no bin/)'}`,
    );
    writeLine(
      out,
      `  LD_LIBRARY_PATH  ${agent.ldLibraryPath.length > 0 ? `lib/ (${plural(agent.ldLibraryPath.length, 'file')})` : '(no lib/)'}`,
    );
    writeLine(
      out,
      `  CPATH            ${agent.cpath.length > 0 ? `include/ (${plural(agent.cpath.length, 'file')})` : '(no include/)'}`,
    );
    if (agent.javascript.length > 0)
      writeLine(out, `  JavaScript       ${agent.javascript.join(', ')} (loaded by JS filters and mutators)`);
  }
  printDiagnostics(out, diagnostics, shown);
  const counts = `${plural(errorsOf(diagnostics).length, 'error')}, ${plural(warningsOf(diagnostics).length, 'warning')}`;
  writeLine(
    out,
    ok ? `verify passed: the agent would install ${shown} (${counts})` : `verify failed: ${shown}: ${counts}`,
  );
  return ok ? EXIT.OK : EXIT.INVALID;
}

interface ExpectedDigest {
  sha512: string;
  /** What gave it, for messages: `--sha512` or the checksum file and line. */
  source: string;
  file?: string;
  line?: number;
}

/** The digest to compare with: --sha512, or the checksum file's line for this archive (Bonsai's rule). */
async function expectedDigest(
  io: Io,
  archiveName: string,
  options: VerifyOptions,
  diagnostics: Diagnostic[],
  keys: readonly PublicKey[],
): Promise<ExpectedDigest | undefined> {
  if (options.sha512 !== undefined) return { sha512: options.sha512, source: '--sha512' };
  if (options.checksums === undefined) return undefined;
  const file = path.resolve(io.cwd, options.checksums);
  const shown = displayPath(io.cwd, file);
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new PackagerError(
      'CHECKSUM_FILE_UNREADABLE',
      `${shown}: cannot read the checksum file (${err.code ?? err.message})`,
    );
  });
  const text = bytes.toString('utf8');
  if (keys.length > 0) {
    // The signature first: a digest from a checksum file nobody trusted proves nothing.
    const signatureFile = path.resolve(io.cwd, options.signature ?? options.checksums + SIGNATURE_SUFFIX);
    const signature = await readFile(signatureFile, 'utf8').catch(() => undefined);
    if (signature === undefined) {
      diagnostics.push({
        ...diagnostic(
          'SIGNATURE_MISSING',
          `${displayPath(io.cwd, signatureFile)}: no such file: the checksum file's signature is required (--key)`,
          NO_POSITION,
          displayPath(io.cwd, signatureFile),
        ),
        hint: SIGNATURE_HINTS.SIGNATURE_MISSING,
      });
    } else {
      const checked = checkSignatures([{ fileName: path.basename(file), bytes, signature }], keys);
      for (const d of checked.diagnostics)
        diagnostics.push({ ...d, file: displayPath(io.cwd, signatureFile) });
    }
  }
  const parsed = parseChecksums(text, shown);
  for (const d of parsed.diagnostics) diagnostics.push(d);
  const selected = selectChecksum(parsed, archiveName);
  if ('diagnostic' in selected) {
    diagnostics.push(selected.diagnostic);
    return undefined;
  }
  return { sha512: selected.sha512, source: `${shown}:${selected.line}`, file: shown, line: selected.line };
}

/** `-rwxr-xr-x` as `tar -tv` and `ls -l` show it. */
function modeString(entry: ArchiveEntryInfo): string {
  const type =
    entry.type === 'directory'
      ? 'd'
      : entry.type === 'symlink'
        ? 'l'
        : entry.type === 'link'
          ? 'h'
          : entry.type === 'file' || entry.type === 'contiguous-file'
            ? '-'
            : '?';
  const bits = 'rwxrwxrwx'
    .split('')
    .map((c, i) => ((entry.mode >> (8 - i)) & 1 ? c : '-'))
    .join('');
  return `${type}${bits}`;
}
