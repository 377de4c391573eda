/**
 * Every problem the schema can report, in one place (the codes are stable: tests, `--json` output and the
 * registry's ingest log use them). Messages keep Bonsai's own wording where Bonsai has one (COMPAT §1), so
 * users can still search for the text they know.
 */
export const DIAGNOSTIC_CODES = {
  // bonsai.yml: finding and parsing the file
  CONFIG_NOT_FOUND: 'error',
  CONFIG_AMBIGUOUS: 'error',
  CONFIG_TOO_LARGE: 'error',
  CONFIG_NOT_TEXT: 'error',
  YAML_SYNTAX: 'error',
  YAML_MULTIPLE_DOCUMENTS: 'error',
  YAML_DUPLICATE_KEY: 'error',
  YAML_ALIAS: 'error',
  YAML_TOO_DEEP: 'error',
  YAML_ALIAS_BOMB: 'error',
  // bonsai.yml: structure
  CONFIG_NOT_MAPPING: 'error',
  CONFIG_UNKNOWN_KEY: 'warning',
  CONFIG_NO_BUILDS: 'error',
  CONFIG_BUILDS_NOT_LIST: 'error',
  CONFIG_DESCRIPTION_NOT_STRING: 'error',
  BUILD_MALFORMED: 'error',
  BUILD_MISSING_FIELD: 'error',
  BUILD_FIELD_NOT_STRING: 'error',
  BUILD_UNKNOWN_KEY: 'warning',
  BUILD_FILTERS_ALIAS: 'warning',
  BUILD_FILTER_AND_FILTERS: 'error',
  BUILD_FILTER_NOT_STRING: 'error',
  BUILD_DUPLICATE_PLATFORM_ARCH: 'warning',
  BUILD_FILTER_DEDENTED: 'warning',
  ANNOTATIONS_NOT_MAPPING: 'error',
  ANNOTATION_VALUE_STRINGIFIED: 'warning',
  ANNOTATION_VALUE_INVALID: 'error',
  ANNOTATION_VALUE_TOO_LARGE: 'error',
  LABELS_NOT_MAPPING: 'error',
  LABEL_VALUE_STRINGIFIED: 'warning',
  LABEL_VALUE_INVALID: 'error',
  LABEL_VALUE_TOO_LARGE: 'error',
  // interpolation of #{repo} / #{version}
  INTERPOLATION_UNKNOWN_TOKEN: 'error',
  INTERPOLATION_EMPTY: 'error',
  // filters (sensu's otto parser; arch values that never match)
  FILTER_SYNTAX: 'error',
  FILTER_NEVER_MATCHES: 'warning',
  FILTER_ALWAYS_TRUE: 'warning',
  // filters evaluated as the agent runs them (filter-verdicts.ts)
  FILTER_EMPTY: 'warning',
  FILTER_ASSIGNMENT: 'error',
  FILTER_THROWS: 'error',
  FILTER_ES6_METHOD: 'error',
  FILTER_UNQUOTED_IDENTIFIER: 'error',
  FILTER_WRONG_CASE: 'error',
  BUILD_NO_FILTER: 'warning',
  BUILDS_OVERLAP: 'warning',
  // the release: files and checksums
  RELEASE_FILE_NAME_INVALID: 'error',
  RELEASE_ASSET_MISSING: 'error',
  CHECKSUM_FILE_MISSING: 'error',
  CHECKSUM_FILE_TOO_LARGE: 'error',
  CHECKSUM_NOT_FOUND: 'error',
  CHECKSUM_MALFORMED_LINE: 'error',
  CHECKSUM_BAD_DIGEST: 'error',
  CHECKSUM_CONFLICT: 'error',
  CHECKSUM_EMPTY: 'error',
  // the packager's dist folder, checked before it becomes a release (bonsai check, bonsai publish)
  DIST_PACKED_FOR_OTHER_RELEASE: 'error',
  // versions
  VERSION_UNPARSEABLE: 'error',
  // asset resource validation (sensu/core v2/asset.go)
  ASSET_INVALID_NAME: 'error',
  ASSET_NAMESPACE_EMPTY: 'error',
  ASSET_URL_EMPTY: 'error',
  ASSET_SHA512_INVALID: 'error',
  ASSET_NO_BUILDS: 'error',
  // archives as the Sensu agent reads them (COMPAT §3), see archive-rules.ts
  ARCHIVE_FORMAT_UNSUPPORTED: 'error',
  ARCHIVE_CORRUPT: 'error',
  ARCHIVE_TOO_MANY_ENTRIES: 'error',
  ARCHIVE_TOO_LARGE_UNPACKED: 'error',
  ARCHIVE_EMPTY: 'error',
  ARCHIVE_WRAPPING_DIRECTORY: 'error',
  ARCHIVE_NO_ASSET_DIRECTORY: 'error',
  ARCHIVE_UNSAFE_PATH: 'error',
  ARCHIVE_UNSAFE_LINK: 'error',
  ARCHIVE_HARD_LINK: 'error',
  ARCHIVE_SPECIAL_ENTRY: 'error',
  ARCHIVE_DUPLICATE_ENTRY: 'error',
  ARCHIVE_NOT_EXECUTABLE: 'error',
  ARCHIVE_BIN_NO_EXECUTABLE: 'error',
  ARCHIVE_WINDOWS_NO_EXECUTABLE: 'warning',
  ARCHIVE_DIGEST_MISMATCH: 'error',
  // the registry's ingest of a release (what only downloading the release can tell)
  RELEASE_TAG_NOT_FOUND: 'error',
  ARTIFACT_TOO_LARGE: 'error',
  ARTIFACT_CHANGED: 'error',
  ARTIFACT_REDIRECT_REFUSED: 'error',
  ARTIFACT_DEADLINE_EXCEEDED: 'error',
  // the registry's job around an ingest: what stopped it when the release itself could not say
  INGEST_FAILED: 'error',
  JOB_DEADLINE: 'error',
  JOB_ABANDONED: 'error',
  ARTIFACT_STORE_FAILED: 'error',
  // signed checksum files (signatures.ts): required by a namespace's keys, REQUIRE_SIGNATURES, check --key
  SIGNATURE_MISSING: 'error',
  SIGNATURE_INVALID: 'error',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  /** 1-based; 0 when the problem has no place in a file (a missing file, say). */
  line: number;
  /** 1-based; 0 when unknown. */
  column: number;
  /** The file the line refers to, when it is not the bonsai.yml (a checksums file, an archive). */
  file?: string;
  /** What to do about it, when the message alone does not say (printed on the next line). */
  hint?: string;
}

export interface Position {
  line: number;
  column: number;
}

export const NO_POSITION: Position = { line: 0, column: 0 };

export function diagnostic(
  code: DiagnosticCode,
  message: string,
  at: Position = NO_POSITION,
  file?: string,
): Diagnostic {
  const d: Diagnostic = { code, severity: DIAGNOSTIC_CODES[code], message, line: at.line, column: at.column };
  if (file !== undefined) d.file = file;
  return d;
}

/** A diagnostic with its hint (the filter and build rules give one with every problem). */
export function hinted(
  code: DiagnosticCode,
  message: string,
  hint: string,
  at: Position = NO_POSITION,
): Diagnostic {
  return { ...diagnostic(code, message, at), hint };
}

export function errorsOf(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === 'error');
}

export function warningsOf(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === 'warning');
}

/**
 * `FILE:LINE:COL  severity CODE  message`, the one human form every verb prints; a hint follows on its own
 * indented line (`  hint: ...`).
 */
export function formatDiagnostic(d: Diagnostic, defaultFile: string): string {
  const file = d.file ?? defaultFile;
  const where = d.line > 0 ? `${file}:${d.line}:${d.column}` : file;
  const line = `${where}  ${d.severity === 'warning' ? 'warning' : 'error'} ${d.code}  ${d.message}`;
  return d.hint === undefined ? line : `${line}\n  hint: ${d.hint}`;
}
