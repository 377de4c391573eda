import { diagnostic, type Diagnostic } from './diagnostics.js';

/** An archive whose bytes are not the ones its checksum (or `--sha512`) describes. */
export interface DigestMismatch {
  /** The archive's file name. */
  archive: string;
  /** Its sha512 as read, lowercase hex. */
  actual: string;
  /** The sha512 it should have, as given (any case). */
  expected: string;
  /** What gave the expected digest, as shown to the user: a checksum file, or `--sha512`. */
  source: string;
  /** Where the diagnostic points: the checksum file when there is one, else the archive. */
  file: string;
  /** The digest's line in that checksum file. */
  line?: number;
}

/** ARCHIVE_DIGEST_MISMATCH, worded once for `bonsai check`, `bonsai verify` and the registry's ingest. */
export function digestMismatch(m: DigestMismatch): Diagnostic {
  return diagnostic(
    'ARCHIVE_DIGEST_MISMATCH',
    `the sha512 of ${m.archive} is ${m.actual}, but ${m.source} gives ${m.expected.toLowerCase()}; the Sensu ` +
      'agent would refuse to install it: rebuild the archive, or regenerate the checksum file from it',
    m.line ? { line: m.line, column: 1 } : undefined,
    m.file,
  );
}
