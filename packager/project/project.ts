import { stat } from 'node:fs/promises';
import path from 'node:path';
import { errorsOf, type BonsaiConfig, type Diagnostic } from '../../bonsai-schema/index.js';
import { PackagerError } from '../errors.js';
import { findConfigFile, parseConfigFile } from './config-file.js';
import { displayPath } from './display-path.js';

/** An asset project folder and its bonsai.yml, read and validated. */
export interface Project {
  /** Absolute path of the project folder. */
  dir: string;
  /** The bonsai.yml as the user should see it (relative to the cwd). */
  configPath: string;
  /** Present when the file has no errors. */
  config: BonsaiConfig | undefined;
  /** Everything the schema said about the file: structure, interpolation tokens, filters. */
  diagnostics: Diagnostic[];
}

export { displayPath };

/** Opens the project in `dir` (default: the cwd): its folder must exist; its bonsai.yml is parsed. */
export async function openProject(cwd: string, dir: string | undefined): Promise<Project> {
  const absolute = path.resolve(cwd, dir ?? '.');
  const info = await stat(absolute).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new PackagerError('PROJECT_NOT_FOUND', `${dir ?? absolute}: no such project folder`, {
      hint: 'run it in the asset project, or give its folder: bonsai pack path/to/project (bonsai init creates one)',
    });
  }
  const found = await findConfigFile(cwd, absolute);
  if (!found.file) {
    return { dir: absolute, configPath: found.folder, config: undefined, diagnostics: found.diagnostics };
  }
  const parsed = parseConfigFile(found.file);
  return {
    dir: absolute,
    configPath: found.file.displayPath,
    config: parsed.config,
    diagnostics: parsed.diagnostics,
  };
}

/** The project's config, or a CONFIG_INVALID error when bonsai.yml has errors (the caller lists them). */
export function requireConfig(project: Project): BonsaiConfig {
  if (project.config && errorsOf(project.diagnostics).length === 0) return project.config;
  const n = errorsOf(project.diagnostics).length;
  throw new PackagerError('CONFIG_INVALID', `${project.configPath} has ${n} error${n === 1 ? '' : 's'}`, {
    hint: 'fix the errors listed above (bonsai lint shows the same list)',
  });
}
