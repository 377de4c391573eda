import { Option, type Command } from 'commander';
import type { Io } from '../../cli/io.js';
import { SETTINGS, loadConfig, type RegistryConfig, type SettingName } from '../config.js';

/** Adds a flag for every setting that has one (secrets have none: they come from the environment). */
export function withSettingFlags(command: Command, only?: readonly SettingName[]): Command {
  for (const spec of SETTINGS) {
    if (!spec.flag || (only && !only.includes(spec.env))) continue;
    command.addOption(
      new Option(spec.flag, `${spec.description} [${spec.env}, default ${spec.defaultText}]`),
    );
  }
  return command;
}

/** The settings from the environment and the parsed flags (flags win). */
export function configFrom(io: Io, options: Record<string, unknown>): RegistryConfig {
  const flags: Partial<Record<SettingName, string>> = {};
  for (const spec of SETTINGS) {
    if (!spec.flag) continue;
    const value = options[new Option(spec.flag).attributeName()];
    if (typeof value === 'string') flags[spec.env] = value;
  }
  return loadConfig({ env: io.env, flags, cwd: io.cwd });
}

/** The settings a command that only reads and writes the store needs. */
export const STORE_SETTINGS: readonly SettingName[] = [
  'DATABASE_URL',
  'DATA_DIR',
  'REDIS_URL',
  'PUBLIC_URL',
  'PORT',
  'LOG_LEVEL',
];
