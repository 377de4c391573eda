import { Option, type Command } from 'commander';
import { type Io } from '../../common/io.js';
import { SETTINGS, documentedDefault, loadConfig, type RegistryConfig, type SettingName } from '../config.js';

/** Adds a flag for every setting that has one (secrets have none: they come from the environment). */
export function withSettingFlags(command: Command, only?: readonly SettingName[]): Command {
  for (const spec of SETTINGS) {
    if (!spec.flag || (only && !only.includes(spec.env))) continue;
    command.addOption(
      new Option(
        spec.flag,
        `${sentence(spec.description)} Env ${spec.env}, default ${documentedDefault(spec)}.`,
      ),
    );
  }
  return command;
}

/** A setting's description as a help sentence: a capital first, a full stop last. */
function sentence(text: string): string {
  const trimmed = text.trim().replace(/\.$/, '');
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1) + '.';
}

/**
 * A verb's parsed options: its own (`Own`, as commander hands them: a flag is `true` or absent), and the
 * setting flags it offers, read by configFrom.
 */
export type VerbOptions<Own extends object = object> = Readonly<Own> & {
  readonly [settingFlag: string]: unknown;
};

/** The settings from the environment and the parsed flags (flags win). */
export function configFrom(io: Io, options: VerbOptions): RegistryConfig {
  const flags: Partial<Record<SettingName, string>> = {};
  for (const spec of SETTINGS) {
    if (!spec.flag) continue;
    const value = options[new Option(spec.flag).attributeName()];
    if (typeof value === 'string') flags[spec.env] = value;
  }
  return loadConfig({ env: io.env, flags, cwd: io.cwd });
}

/**
 * The settings a command that writes the store needs: the database, the cache to invalidate, and the
 * public URL definitions are rendered with. (PORT still comes from the environment for PUBLIC_URL's
 * default, but these verbs listen on nothing, so they offer no --port.)
 */
export const STORE_SETTINGS: readonly SettingName[] = [
  'DATABASE_URL',
  'DATA_DIR',
  'REDIS_URL',
  'PUBLIC_URL',
  'LOG_LEVEL',
];

/** The bucket of ARTIFACTS_MODE=s3 (not S3_PUBLIC_ENDPOINT: only `serve` answers with presigned redirects). */
const S3_SETTINGS: readonly SettingName[] = [
  'S3_BUCKET',
  'S3_PREFIX',
  'S3_REGION',
  'S3_ENDPOINT',
  'S3_FORCE_PATH_STYLE',
];

/** What a sync reads besides the store: GitHub, and where and how artifacts are checked and kept. */
export const SYNC_SETTINGS: readonly SettingName[] = [
  ...STORE_SETTINGS,
  'GITHUB_API_URL',
  'GITHUB_TIMEOUT',
  'ARTIFACTS_MODE',
  'ARTIFACTS_URL',
  ...S3_SETTINGS,
  'MAX_ARTIFACT_SIZE',
  'MAX_ARCHIVE_ENTRIES',
  'MAX_UNPACKED_SIZE',
  'DOWNLOAD_DEADLINE',
  'ARTIFACT_HOSTS',
  'JOB_LEASE',
];

/** The settings of the read-only and schema verbs: where the database is. */
export const DATABASE_SETTINGS: readonly SettingName[] = ['DATABASE_URL', 'DATA_DIR'];

/**
 * Where the artifact verbs (verify, migrate) find the recorded copies and the store that holds them. They
 * log nothing, so they offer no --log-level.
 */
export const ARTIFACT_STORE_SETTINGS: readonly SettingName[] = [
  ...DATABASE_SETTINGS,
  'ARTIFACTS_MODE',
  ...S3_SETTINGS,
];
