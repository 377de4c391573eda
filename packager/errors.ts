import { EXIT, type ExitCode } from '../common/exit-codes.js';
import type { CodedFailure } from '../common/failure.js';
import { UsageError } from '../common/usage-error.js';
import type { Diagnostic } from '../bonsai-schema/index.js';

/**
 * Every failure of the packager's verbs, by stable code (tests and `--json` consumers match on these),
 * with the exit code it ends the verb with: 1 wrong input, 2 wrong command line or environment, 3 a
 * service failed. README.md (Error reference) explains each one; a test checks every code is there.
 * Problems found in bonsai.yml, checksum files or archives are schema diagnostics instead (see
 * bonsai-schema/diagnostics.ts); these codes are about the project folder, the file system and the flags.
 */
export const PACKAGER_ERRORS = {
  // the project and its flags
  PROJECT_NOT_FOUND: EXIT.USAGE,
  CONFIG_INVALID: EXIT.INVALID,
  VERSION_UNKNOWN: EXIT.USAGE,
  VERSION_AMBIGUOUS: EXIT.USAGE,
  SOURCE_DATE_EPOCH_INVALID: EXIT.USAGE,
  DIST_NOT_FOUND: EXIT.INVALID,
  ARCHIVE_NOT_FOUND: EXIT.INVALID,
  CHECKSUM_FILE_UNREADABLE: EXIT.INVALID,
  // init
  INIT_EXISTS: EXIT.INVALID,
  INIT_BAD_NAME: EXIT.USAGE,
  // pack: what the tree walk refuses
  PACK_REFUSED: EXIT.INVALID,
  PACK_NOTHING_TO_PACK: EXIT.INVALID,
  PACK_ROOT_NOT_DIRECTORY: EXIT.INVALID,
  PACK_SYMLINK_ABSOLUTE: EXIT.INVALID,
  PACK_SYMLINK_OUTSIDE: EXIT.INVALID,
  PACK_SYMLINK_DANGLING: EXIT.INVALID,
  PACK_HARD_LINK: EXIT.INVALID,
  PACK_SPECIAL_FILE: EXIT.INVALID,
  PACK_UNSAFE_NAME: EXIT.INVALID,
  PACK_NOT_EXECUTABLE: EXIT.INVALID,
  PACK_BIN_NO_EXECUTABLE: EXIT.INVALID,
  PACK_UNREADABLE: EXIT.INVALID,
  // pack: naming and writing
  PACK_ASSET_NAME_CLASH: EXIT.INVALID,
  /** A warning (an error with --strict): packed files differ from the tag's commit. */
  PACK_DIRTY_TREE: EXIT.INVALID,
  PACK_WRITE_FAILED: EXIT.INVALID,
  // add: talking to a Bonsai-compatible registry
  ADD_BAD_NAME: EXIT.USAGE,
  ADD_BAD_VERSION: EXIT.USAGE,
  REGISTRY_URL_INVALID: EXIT.USAGE,
  ASSET_NOT_FOUND: EXIT.INVALID,
  ASSET_NO_VERSIONS: EXIT.INVALID,
  ASSET_VERSION_NOT_FOUND: EXIT.INVALID,
  ASSET_DEFINITION_INVALID: EXIT.INVALID,
  ADD_NOT_INSTALLED: EXIT.INVALID,
  REGISTRY_UNREACHABLE: EXIT.SERVICE,
  REGISTRY_TIMEOUT: EXIT.SERVICE,
  REGISTRY_HTTP_ERROR: EXIT.SERVICE,
  REGISTRY_NOT_JSON: EXIT.SERVICE,
  OUTPUT_WRITE_FAILED: EXIT.INVALID,
  // mirror: a static copy of a registry
  MIRROR_BASE_URL_MISSING: EXIT.USAGE,
  MIRROR_LIST_UNREADABLE: EXIT.USAGE,
  MIRROR_NO_BUILDS: EXIT.INVALID,
  MIRROR_DOWNLOAD_FAILED: EXIT.SERVICE,
  MIRROR_CHECKSUM_MISMATCH: EXIT.INVALID,
  MIRROR_WRITE_FAILED: EXIT.INVALID,
  MIRROR_INDEX_INVALID: EXIT.INVALID,
  // outdated: what a Sensu backend runs against its registry
  OUTDATED_EXPORT_UNREADABLE: EXIT.USAGE,
  OUTDATED_EXPORT_INVALID: EXIT.INVALID,
  SENSU_API_FAILED: EXIT.SERVICE,
  // publish: the GitHub release
  PUBLISH_NOTES_UNREADABLE: EXIT.USAGE,
  PUBLISH_CHECK_FAILED: EXIT.INVALID,
  PUBLISH_TAG_MISSING: EXIT.INVALID,
  PUBLISH_ASSET_CONFLICT: EXIT.INVALID,
  PUBLISH_RELEASE_PUBLISHED: EXIT.INVALID,
  GITHUB_TOKEN_MISSING: EXIT.USAGE,
  GITHUB_BAD_CREDENTIALS: EXIT.INVALID,
  GITHUB_NO_PERMISSION: EXIT.INVALID,
  GITHUB_NOT_FOUND: EXIT.INVALID,
  GITHUB_RATE_LIMITED: EXIT.SERVICE,
  GITHUB_UNAVAILABLE: EXIT.SERVICE,
  // signing: keygen, pack --sign, check --key, add --verify-key
  KEYGEN_EXISTS: EXIT.INVALID,
  SIGNING_KEY_UNREADABLE: EXIT.USAGE,
  SIGNING_KEY_INVALID: EXIT.INVALID,
  PUBLIC_KEY_INVALID: EXIT.INVALID,
  SIGNATURE_MISSING: EXIT.INVALID,
  SIGNATURE_INVALID: EXIT.INVALID,
  SIGNED_DIGEST_MISMATCH: EXIT.INVALID,
} as const satisfies Record<string, ExitCode>;

export type PackagerErrorCode = keyof typeof PACKAGER_ERRORS;

export interface PackagerErrorOptions {
  hint?: string;
  /** The file or folder the error is about, as shown to the user. */
  path?: string;
  /** Several problems found at once (a tree walk reports every refusal, not only the first). */
  causes?: readonly PackagerError[];
  /** Problems found in the project's files (PUBLISH_CHECK_FAILED: what check found), each with its file. */
  diagnostics?: readonly Diagnostic[];
  cause?: unknown;
}

/** The packager's one coded error type; `runCli` prints it as `error [CODE]: message` plus the hint. */
export class PackagerError extends Error implements CodedFailure {
  readonly exitCode: ExitCode;
  readonly hint?: string;
  readonly path?: string;
  readonly causes: readonly PackagerError[];
  readonly diagnostics: readonly Diagnostic[];

  constructor(
    readonly code: PackagerErrorCode,
    message: string,
    options: PackagerErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PackagerError';
    this.exitCode = PACKAGER_ERRORS[code];
    if (options.hint !== undefined) this.hint = options.hint;
    if (options.path !== undefined) this.path = options.path;
    this.causes = options.causes ?? [];
    this.diagnostics = options.diagnostics ?? [];
  }

  /** The shape `--json` prints. */
  toJSON(): { code: string; message: string; path?: string; hint?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.path !== undefined ? { path: this.path } : {}),
      ...(this.hint !== undefined ? { hint: this.hint } : {}),
    };
  }
}

/**
 * A wrong command line or environment (exit 2) under the code of the area it concerns, where that code's
 * other failures are not the user's: SENSU_API_FAILED without credentials (its unreachable backend is
 * exit 3), a public key file that cannot be read (an invalid one is exit 1), keygen's unwritable --key.
 */
export function usageFailure(code: PackagerErrorCode, message: string, hint?: string): UsageError {
  return new UsageError(message, hint, code);
}

export function isPackagerError(err: unknown): err is PackagerError {
  return err instanceof PackagerError;
}

/** PACK_REFUSED with every problem found at once (`where`: "in the tree", "with the builds"). */
export function packRefused(problems: readonly PackagerError[], where: string): PackagerError {
  const n = problems.length;
  return new PackagerError('PACK_REFUSED', `refusing to pack: ${n} problem${n === 1 ? '' : 's'} ${where}`, {
    causes: problems,
  });
}
