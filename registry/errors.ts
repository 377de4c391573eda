import { EXIT, type ExitCode } from '../common/exit-codes.js';
import type { CodedFailure } from '../common/failure.js';

/**
 * Every error the registry raises, with the HTTP status it answers with and the CLI exit code it maps to.
 * The first four codes are Bonsai's own (its API's `error_code` values), so clients see the same codes.
 */
export const REGISTRY_ERROR_CODES = {
  NOT_FOUND: { status: 404, exitCode: EXIT.INVALID },
  INVALID_DATA: { status: 400, exitCode: EXIT.INVALID },
  MISSING_REQUIRED_DATA: { status: 400, exitCode: EXIT.INVALID },
  UNAUTHORIZED: { status: 401, exitCode: EXIT.INVALID },
  PAYLOAD_TOO_LARGE: { status: 413, exitCode: EXIT.INVALID },
  FORBIDDEN: {
    status: 403,
    exitCode: EXIT.INVALID,
    hint: 'create a token with the scope named above: bonsai registry token create --name NAME --scope SCOPE',
  },
  TOKEN_EXISTS: {
    status: 409,
    exitCode: EXIT.INVALID,
    hint: 'choose another --name, or revoke the old token first: bonsai registry token revoke NAME',
  },
  SETTINGS_INVALID: { status: 500, exitCode: EXIT.USAGE },
  DATABASE_FAILED: { status: 503, exitCode: EXIT.SERVICE },
  DATABASE_IN_USE: { status: 503, exitCode: EXIT.SERVICE },
  DATABASE_NOT_MIGRATED: { status: 503, exitCode: EXIT.SERVICE },
  SYNC_RUNNING: { status: 409, exitCode: EXIT.SERVICE },
  JOB_DEADLINE: {
    status: 504,
    exitCode: EXIT.SERVICE,
    hint: 'the release being ingested took longer than JOB_DEADLINE; fix or replace it (a new upload or tag is ingested again), or retry with bonsai registry sync --force',
  },
  JOB_ABANDONED: {
    status: 500,
    exitCode: EXIT.SERVICE,
    hint: 'the process running this job stopped or crashed JOB_ATTEMPTS times (out of memory?); see the registry log for the release it was ingesting, fix or replace that release, or retry with bonsai registry sync --force',
  },
  JOB_LEASE_LOST: {
    status: 409,
    exitCode: EXIT.SERVICE,
    hint: 'this process paused longer than JOB_LEASE and another process took the job over; nothing more was written by this one',
  },
  INGEST_FAILED: {
    status: 500,
    exitCode: EXIT.SERVICE,
    hint: 'an unexpected error stopped the ingest of this release; the registry log has the details under the job id; the next sync tries again',
  },
  CACHE_FAILED: { status: 503, exitCode: EXIT.SERVICE },
  GITHUB_FAILED: { status: 502, exitCode: EXIT.SERVICE },
  ARTIFACTS_FAILED: { status: 500, exitCode: EXIT.SERVICE },
  ARTIFACT_STORE_FAILED: {
    status: 502,
    exitCode: EXIT.SERVICE,
    hint: 'the S3 store refused or could not be reached: check S3_BUCKET, S3_ENDPOINT, S3_REGION and the AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE); the next sync tries again',
  },
  INTERNAL: { status: 500, exitCode: EXIT.SERVICE },
  METHOD_NOT_ALLOWED: {
    status: 405,
    exitCode: EXIT.INVALID,
    hint: 'the Allow header lists the methods this route answers',
  },
  TOO_MANY_REQUESTS: {
    status: 429,
    exitCode: EXIT.SERVICE,
    hint: 'slow down: retry after the Retry-After seconds (the RATE_LIMIT_* settings set the budgets)',
  },
  PORT_IN_USE: {
    status: 500,
    exitCode: EXIT.SERVICE,
    hint: 'stop the process using that port, or choose another with PORT / --port',
  },
  LISTEN_FAILED: {
    status: 500,
    exitCode: EXIT.SERVICE,
    hint: 'check HOST / --host names an address of this machine and that the port is allowed (below 1024 needs privileges)',
  },
  IMPORT_INVALID: {
    status: 400,
    exitCode: EXIT.INVALID,
    hint: 'give the folder written by bonsai mirror (it holds bonsai-mirror.json and artifacts/); nothing was imported',
  },
  IMPORT_CHECKSUM_MISMATCH: {
    status: 400,
    exitCode: EXIT.INVALID,
    hint: 'the mirror folder is damaged: run bonsai mirror again into it (it downloads what is missing) and import again; nothing was imported',
  },
  IMPORT_CONFLICT: {
    status: 409,
    exitCode: EXIT.INVALID,
    hint: 'this registry syncs that asset from GitHub; leave it out of the mirror, or import into another registry',
  },
  ASSET_IMPORTED: {
    status: 409,
    exitCode: EXIT.INVALID,
    hint: 'it was loaded by bonsai registry import and is never synced from GitHub: update the mirror and import it again',
  },
  KEY_INVALID: {
    status: 400,
    exitCode: EXIT.INVALID,
    hint: 'send the public key bonsai keygen or minisign -G wrote (the .pub file, or its line starting RW)',
  },
  KEY_REVOKED: {
    status: 409,
    exitCode: EXIT.INVALID,
    hint: 'a revoked key stays revoked: make a new key pair (bonsai keygen) and add its public key',
  },
  DATABASE_NOT_FOUND: {
    status: 503,
    exitCode: EXIT.SERVICE,
    hint: 'run it where the registry keeps its data (DATA_DIR / --data-dir, or DATABASE_URL); bonsai registry migrate creates a database',
  },
} as const satisfies Record<string, { status: number; exitCode: ExitCode; hint?: string }>;

export type RegistryErrorCode = keyof typeof REGISTRY_ERROR_CODES;

/** Bonsai's text for an unknown asset or version (COMPAT §5); clients match on it. */
export const NOT_FOUND_MESSAGE = 'Resource does not exist.';

/** The registry's one coded error type: a stable code, a message saying what/where/what to do, a status. */
export class RegistryError extends Error implements CodedFailure {
  readonly status: number;
  readonly exitCode: ExitCode;
  readonly hint?: string;

  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryError';
    this.status = REGISTRY_ERROR_CODES[code].status;
    this.exitCode = REGISTRY_ERROR_CODES[code].exitCode;
    const hint = options.hint ?? defaultHint(code);
    if (hint !== undefined) this.hint = hint;
  }
}

/** The hint every error of `code` carries when the thrower gives none. */
export function defaultHint(code: RegistryErrorCode): string | undefined {
  const entry = REGISTRY_ERROR_CODES[code];
  return 'hint' in entry ? entry.hint : undefined;
}

export function notFound(): RegistryError {
  return new RegistryError('NOT_FOUND', NOT_FOUND_MESSAGE);
}

export function isRegistryError(err: unknown): err is RegistryError {
  return err instanceof RegistryError;
}

/** The message of anything thrown, for logs and the ingest log. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
