import { EXIT, type ExitCode } from '../common/exit-codes.js';
import type { CodedFailure } from '../common/failure.js';

/**
 * Every failure of the packager's verbs, by stable code (tests and `--json` consumers match on these).
 * Problems found in bonsai.yml, checksum files or archives are schema diagnostics instead (see
 * bonsai-schema/diagnostics.ts); these codes are about the project folder, the file system and the flags.
 */
export const PACKAGER_ERROR_CODES = [
  // the project and its flags
  'PROJECT_NOT_FOUND',
  'CONFIG_INVALID',
  'VERSION_UNKNOWN',
  'VERSION_AMBIGUOUS',
  'SOURCE_DATE_EPOCH_INVALID',
  'DIST_NOT_FOUND',
  'ARCHIVE_NOT_FOUND',
  'CHECKSUM_FILE_UNREADABLE',
  // init
  'INIT_EXISTS',
  'INIT_BAD_NAME',
  // pack: what the tree walk refuses
  'PACK_REFUSED',
  'PACK_NOTHING_TO_PACK',
  'PACK_ROOT_NOT_DIRECTORY',
  'PACK_SYMLINK_ABSOLUTE',
  'PACK_SYMLINK_OUTSIDE',
  'PACK_SYMLINK_DANGLING',
  'PACK_HARD_LINK',
  'PACK_SPECIAL_FILE',
  'PACK_UNSAFE_NAME',
  'PACK_NOT_EXECUTABLE',
  'PACK_BIN_NO_EXECUTABLE',
  'PACK_UNREADABLE',
  // pack: naming and writing
  'PACK_ASSET_NAME_CLASH',
  /** A warning (an error with --strict): packed files differ from the tag's commit. */
  'PACK_DIRTY_TREE',
  'PACK_WRITE_FAILED',
  // add: talking to a Bonsai-compatible registry
  'ADD_BAD_NAME',
  'ADD_BAD_VERSION',
  'REGISTRY_URL_INVALID',
  'ASSET_NOT_FOUND',
  'ASSET_NO_VERSIONS',
  'ASSET_VERSION_NOT_FOUND',
  'ASSET_DEFINITION_INVALID',
  'ADD_NOT_INSTALLED',
  'REGISTRY_UNREACHABLE',
  'REGISTRY_TIMEOUT',
  'REGISTRY_HTTP_ERROR',
  'REGISTRY_NOT_JSON',
  'OUTPUT_WRITE_FAILED',
  // mirror: a static copy of a registry
  'MIRROR_BASE_URL_MISSING',
  'MIRROR_LIST_UNREADABLE',
  'MIRROR_NO_BUILDS',
  'MIRROR_DOWNLOAD_FAILED',
  'MIRROR_CHECKSUM_MISMATCH',
  'MIRROR_WRITE_FAILED',
  'MIRROR_INDEX_INVALID',
  // outdated: what a Sensu backend runs against its registry
  'OUTDATED_EXPORT_UNREADABLE',
  'OUTDATED_EXPORT_INVALID',
  'SENSU_API_FAILED',
  // publish: the GitHub release
  'PUBLISH_NOTES_UNREADABLE',
  'PUBLISH_CHECK_FAILED',
  'PUBLISH_TAG_MISSING',
  'PUBLISH_ASSET_CONFLICT',
  'PUBLISH_RELEASE_PUBLISHED',
  'GITHUB_TOKEN_MISSING',
  'GITHUB_BAD_CREDENTIALS',
  'GITHUB_NO_PERMISSION',
  'GITHUB_NOT_FOUND',
  'GITHUB_RATE_LIMITED',
  'GITHUB_UNAVAILABLE',
  // signing: keygen, pack --sign, check --key, add --verify-key
  'KEYGEN_EXISTS',
  'SIGNING_KEY_UNREADABLE',
  'SIGNING_KEY_INVALID',
  'PUBLIC_KEY_INVALID',
  'SIGNATURE_MISSING',
  'SIGNATURE_INVALID',
  'SIGNED_DIGEST_MISMATCH',
] as const;

export type PackagerErrorCode = (typeof PACKAGER_ERROR_CODES)[number];

export interface PackagerErrorOptions {
  exitCode?: ExitCode;
  hint?: string;
  /** The file or folder the error is about, as shown to the user. */
  path?: string;
  /** Several problems found at once (a tree walk reports every refusal, not only the first). */
  causes?: readonly PackagerError[];
  cause?: unknown;
}

/** The packager's one coded error type; `runCli` prints it as `error [CODE]: message` plus the hint. */
export class PackagerError extends Error implements CodedFailure {
  readonly exitCode: ExitCode;
  readonly hint?: string;
  readonly path?: string;
  readonly causes: readonly PackagerError[];

  constructor(
    readonly code: PackagerErrorCode,
    message: string,
    options: PackagerErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PackagerError';
    this.exitCode = options.exitCode ?? EXIT.INVALID;
    if (options.hint !== undefined) this.hint = options.hint;
    if (options.path !== undefined) this.path = options.path;
    this.causes = options.causes ?? [];
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
