import { chmod, lstat, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CONFIG_FILE_NAMES } from '../../../bonsai-schema/index.js';
import { EXIT, type ExitCode } from '../../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../../common/io.js';
import { PackagerError } from '../../errors.js';
import { displayPath } from '../../project/project.js';
import { PROJECT_NAME, scaffoldFiles } from '../../project/scaffold.js';
import { reportingFailures } from '../report.js';

export interface InitOptions {
  name?: string;
  json?: boolean;
}

/** `bonsai init`: loaded when the verb runs (cli/ registers it from ./index.ts). */
export function runInit(io: Io, dir: string | undefined, options: InitOptions): Promise<ExitCode> {
  return reportingFailures(io, options.json, () => init(io, dir, options));
}

async function init(io: Io, dir: string | undefined, options: InitOptions): Promise<ExitCode> {
  const root = path.resolve(io.cwd, dir ?? '.');
  const name = options.name ?? path.basename(root);
  if (!PROJECT_NAME.test(name)) {
    throw new PackagerError('INIT_BAD_NAME', `'${name}' cannot name an asset and its command`, {
      hint: 'use letters, digits, dots, dashes and underscores, starting with a letter or digit: --name hello-world',
    });
  }
  let files = scaffoldFiles(name);
  // A second configuration file would make the project ambiguous (Bonsai reads only the first).
  const exists = async (relative: string) =>
    (await lstat(path.join(root, relative)).catch(() => undefined)) !== undefined;
  const taken = [
    ...files.filter((f) => !f.optional).map((f) => f.path),
    ...CONFIG_FILE_NAMES.filter((n) => n !== 'bonsai.yml'),
  ];
  const existing: string[] = [];
  for (const relative of taken) if (await exists(relative)) existing.push(relative);
  if (existing.length > 0) {
    throw new PackagerError(
      'INIT_EXISTS',
      `${displayPath(io.cwd, root)} already has ${existing.join(', ')}; init writes nothing over existing files`,
      { hint: 'run it in a new folder: bonsai init NEW-FOLDER' },
    );
  }
  const kept: string[] = [];
  for (const file of files) if (file.optional && (await exists(file.path))) kept.push(file.path);
  files = files.filter((f) => !kept.includes(f.path));
  for (const file of files) {
    const target = path.join(root, file.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, file.content, { flag: 'wx' });
    // Explicit modes: the umask must not strip the exec bit pack requires in bin/.
    await chmod(target, file.executable ? 0o755 : 0o644);
  }
  const shown = displayPath(io.cwd, root);
  if (options.json) {
    writeJson(io.stdout, { ok: true, dir: shown, name, files: files.map((f) => f.path) });
  } else {
    for (const file of files) writeLine(io.stdout, path.join(shown, file.path));
  }
  writeLine(io.stderr, `created the ${name} asset project in ${shown}`);
  for (const file of kept)
    writeLine(io.stderr, `kept the existing ${file}: add dist/ to it if it is not there`);
  writeLine(io.stderr, `next: cd ${shown} && bonsai pack --version 0.0.1 && bonsai check --version 0.0.1`);
  return EXIT.OK;
}
