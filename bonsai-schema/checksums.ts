import { diagnostic, type Diagnostic, type DiagnosticCode } from './diagnostics.js';

/**
 * Checksum files attached to a release (COMPAT §2), read the way Bonsai reads them, plus the `*name` and
 * BSD `--tag` forms, and written in goreleaser's form so `sha512sum -c` accepts them.
 */

/** How a line was written: `<hex>  <name>`, `<hex>  ./<name>`, `<hex> *<name>`, `SHA512 (<name>) = <hex>`, `<hex>`. */
export type ChecksumForm = 'goreleaser' | 'dot-slash' | 'binary' | 'bsd' | 'bare';

export interface ChecksumEntry {
  /** 128 lowercase hex digits. */
  sha512: string;
  /** The name as written (`./x.tar.gz` stays so; the binary `*` is removed); undefined for a bare digest. */
  name: string | undefined;
  /** 1-based line in the checksum file. */
  line: number;
  form: ChecksumForm;
}

export interface ParsedChecksums {
  entries: ChecksumEntry[];
  diagnostics: Diagnostic[];
  /** The checksum file's name, when given: diagnostics and selection messages name it. */
  file: string | undefined;
}

const SHA512_HEX_DIGITS = 128;
/** The shortest word taken for a (damaged) digest rather than prose: half a sha512, a sha256. */
const MIN_DIGEST_LIKE_LENGTH = 64;
const HEX = /^[0-9a-f]+$/i;
/** Digest lengths of other algorithms, to say what a wrong-length digest probably is. */
const HEX_DIGITS_OF: Readonly<Record<number, string>> = {
  32: 'md5',
  40: 'sha1',
  56: 'sha224',
  64: 'sha256',
  96: 'sha384',
};
/** `--tag` output: `ALGO (name) = digest`. Checked first: `BLAKE2b (...)` starts with a hex digit. */
const BSD_LINE = /^([A-Z][A-Za-z0-9-]*) \((.*)\) = (\S*)$/;
/** Bonsai keeps only lines starting with a hex digit; the digest is the first word. */
const DIGEST_LINE = /^([0-9a-f]\S*)(?:(\s+)(.*))?$/i;

export function parseChecksums(text: string, fileName?: string): ParsedChecksums {
  const where = fileName ?? 'the checksum file';
  const entries: ChecksumEntry[] = [];
  const diagnostics: Diagnostic[] = [];
  const report = (code: DiagnosticCode, message: string, line: number, column = 1) =>
    diagnostics.push(diagnostic(code, message, { line, column }, fileName));

  // A BOM, CRLF and blanks around a line are tolerated (Bonsai squishes each line).
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    const reading = readLine(raw.trim(), line);
    if (reading === undefined) continue; // prose, headers, signatures: ignored, as Bonsai does
    if ('code' in reading)
      report(reading.code, reading.message, line, raw.length - raw.trimStart().length + 1);
    else entries.push({ ...reading, line });
  }

  reportConflicts(entries, (message, line) => report('CHECKSUM_CONFLICT', message, line));
  if (entries.length === 0 && diagnostics.length === 0) {
    report(
      'CHECKSUM_EMPTY',
      text.trim() === ''
        ? `${where} is empty; it must list "<sha512>  <file name>" for each release asset`
        : `${where} has no checksum line: no line starts with a sha512 digest`,
      0,
      0,
    );
  }
  return { entries, diagnostics, file: fileName };
}

type LineReading =
  | { sha512: string; name: string | undefined; form: ChecksumForm }
  | { code: DiagnosticCode; message: string }
  | undefined;

function readLine(content: string, line: number): LineReading {
  const reading = splitLine(content, line);
  if (reading === undefined || 'code' in reading) return reading;
  const problem = digestProblem(reading.sha512);
  if (problem !== undefined)
    return { code: 'CHECKSUM_BAD_DIGEST', message: `the digest on line ${line} ${problem}` };
  if (reading.name === '') {
    return { code: 'CHECKSUM_MALFORMED_LINE', message: `line ${line} has no file name after its digest` };
  }
  return { ...reading, sha512: reading.sha512.toLowerCase() };
}

/** The digest and name of a line in any of the five forms; undefined for a line Bonsai would skip. */
function splitLine(content: string, line: number): LineReading {
  const bsd = BSD_LINE.exec(content);
  if (bsd) {
    const [, algorithm = '', name = '', sha512 = ''] = bsd;
    if (algorithm === 'SHA512') return { sha512, name, form: 'bsd' };
    return {
      code: 'CHECKSUM_BAD_DIGEST',
      message: `line ${line} holds a ${algorithm} checksum; Bonsai needs sha512`,
    };
  }
  const plain = DIGEST_LINE.exec(content);
  if (!plain) return undefined;
  const [, sha512 = '', separator, rest] = plain;
  if (!HEX.test(sha512)) {
    // Prose that happens to start with a hex letter ("Built by ...", "Date: ...") is skipped: Bonsai keeps
    // such lines but only ever uses the one naming the asset. A digest-length word is a damaged digest.
    if (sha512.length < MIN_DIGEST_LIKE_LENGTH) return undefined;
    return {
      code: 'CHECKSUM_MALFORMED_LINE',
      message:
        `line ${line} starts with ${JSON.stringify(sha512)}, which is not a hexadecimal digest; ` +
        'a checksum line is "<128 hex digits>  <file name>"',
    };
  }
  if (rest === undefined) return { sha512, name: undefined, form: 'bare' };
  // GNU's binary marker: exactly one space, then `*`.
  if (separator === ' ' && rest.startsWith('*')) return { sha512, name: rest.slice(1), form: 'binary' };
  return { sha512, name: rest, form: rest.startsWith('./') ? 'dot-slash' : 'goreleaser' };
}

function digestProblem(digest: string): string | undefined {
  if (!HEX.test(digest)) return `is not hexadecimal (${JSON.stringify(digest)})`;
  if (digest.length === SHA512_HEX_DIGITS) return undefined;
  const algorithm = HEX_DIGITS_OF[digest.length];
  return (
    `has ${digest.length} hex digits; a sha512 digest has ${SHA512_HEX_DIGITS}` +
    (algorithm === undefined
      ? ''
      : ` (${digest.length} is the length of a ${algorithm} digest: publish sha512)`)
  );
}

/** One name (compared by base name, as selection does) listed with two different digests. */
function reportConflicts(entries: readonly ChecksumEntry[], report: (message: string, line: number) => void) {
  const first = new Map<string, ChecksumEntry>();
  for (const entry of entries) {
    const base = baseName(entry.name);
    if (base === undefined) continue;
    const earlier = first.get(base);
    if (earlier === undefined) first.set(base, entry);
    else if (earlier.sha512 !== entry.sha512) {
      report(
        `${base} is listed with different digests on lines ${earlier.line} and ${entry.line}; ` +
          'a checksum file gives one digest per file',
        entry.line,
      );
    }
  }
}

/** Ruby's File.basename, as Bonsai applies it to the name: `./x` and `dist/x` are both `x`. */
function baseName(name: string | undefined): string | undefined {
  const base = name?.replace(/\/+$/, '').split('/').pop();
  return base === '' ? undefined : base;
}

/**
 * Bonsai's choice: the only entry whatever its name, else the entry whose base name is the asset's file
 * name. A failure says `cannot extract the SHA for <file>` and, when a near miss explains it, which.
 */
export function selectChecksum(
  parsed: ParsedChecksums,
  assetFilename: string,
): { sha512: string; line: number } | { diagnostic: Diagnostic } {
  const { entries, file } = parsed;
  const where = file ?? 'the checksum file';
  const fail = (code: DiagnosticCode, reason: string, line = 0) => ({
    diagnostic: diagnostic(
      code,
      `cannot extract the SHA for ${assetFilename}: ${reason}`,
      { line, column: line ? 1 : 0 },
      file,
    ),
  });

  const only = entries.length === 1 ? entries[0] : undefined;
  if (only) return { sha512: only.sha512, line: only.line };

  const [match, ...others] = entries.filter((e) => baseName(e.name) === assetFilename);
  const disagreeing = others.find((e) => e.sha512 !== match?.sha512);
  if (match && disagreeing) {
    return fail(
      'CHECKSUM_CONFLICT',
      `lines ${match.line} and ${disagreeing.line} of ${where} give different digests`,
      disagreeing.line,
    );
  }
  if (match) return { sha512: match.sha512, line: match.line };

  if (entries.length === 0) return fail('CHECKSUM_NOT_FOUND', `${where} has no sha512 checksum line`);
  const nearMiss = findNearMiss(entries, assetFilename);
  if (nearMiss) {
    return fail(
      'CHECKSUM_NOT_FOUND',
      `${where} lists ${nearMiss.entry.name} (line ${nearMiss.entry.line}), ${nearMiss.why}`,
      nearMiss.entry.line,
    );
  }
  const names = entries.flatMap((e) => (e.name === undefined ? [] : [e.name]));
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? `, and ${names.length - 3} more` : '');
  return fail('CHECKSUM_NOT_FOUND', `no line of ${where} names it` + (shown ? ` (it lists ${shown})` : ''));
}

/** Drops a `v` that starts a version inside a file name (`x_v1.2.3_linux` → `x_1.2.3_linux`). */
const withoutVersionV = (name: string) => name.replace(/(^|[_.-])v(?=[0-9])/g, '$1');

function findNearMiss(entries: readonly ChecksumEntry[], assetFilename: string) {
  for (const entry of entries) {
    const base = baseName(entry.name);
    if (base === undefined) continue;
    if (withoutVersionV(base) === withoutVersionV(assetFilename)) {
      const why =
        withoutVersionV(assetFilename) === assetFilename
          ? 'with a "v" before the version'
          : 'without the "v" before the version';
      return {
        entry,
        why:
          `the same name ${why}: #{version} is the tag verbatim (a leading "v" included) while goreleaser ` +
          'drops it; name the files and asset_filename the same way',
      };
    }
    if (base.toLowerCase() === assetFilename.toLowerCase()) {
      return { entry, why: 'which differs only in letter case; file names are case-sensitive' };
    }
  }
  return undefined;
}

/** Raised by formatChecksums for input it cannot write (a caller's bug, not a user's file). */
export class ChecksumFormatError extends Error {
  constructor(
    readonly code: DiagnosticCode,
    message: string,
  ) {
    super(message);
    this.name = 'ChecksumFormatError';
  }
}

/** goreleaser's form exactly: sorted by name (byte order), `<lowercase hex>  <name>\n` per file. */
export function formatChecksums(entries: readonly { name: string; sha512: string }[]): string {
  const byName = new Map<string, string>();
  for (const { name, sha512 } of entries) {
    if (name === '' || /[\r\n]/.test(name)) {
      throw new ChecksumFormatError(
        'CHECKSUM_MALFORMED_LINE',
        `cannot write the file name ${JSON.stringify(name)} in a checksum file`,
      );
    }
    const problem = digestProblem(sha512);
    if (problem !== undefined)
      throw new ChecksumFormatError('CHECKSUM_BAD_DIGEST', `the digest for ${name} ${problem}`);
    const digest = sha512.toLowerCase();
    const earlier = byName.get(name);
    if (earlier !== undefined && earlier !== digest) {
      throw new ChecksumFormatError('CHECKSUM_CONFLICT', `${name} is given two different digests`);
    }
    byName.set(name, digest);
  }
  return [...byName]
    .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map(([name, digest]) => `${digest}  ${name}\n`)
    .join('');
}
