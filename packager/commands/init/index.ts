import { chmod, lstat, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { CONFIG_FILE_NAMES } from '../../../bonsai-schema/index.js';
import { EXIT, type ExitCode } from '../../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../../common/io.js';
import { withVerbHelp } from '../../../common/verb-help.js';
import type { ActionRunner } from '../../../common/verb.js';
import { PackagerError } from '../../errors.js';
import { displayPath } from '../../project/project.js';
import { PROJECT_NAME, scaffoldFiles } from '../../project/scaffold.js';
import { reportingFailures } from '../report.js';

interface InitOptions {
  name?: string;
  json?: boolean;
}

export function registerInit(program: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    program
      .command('init')
      .summary('Create a working asset project: the hello-world of the Sensu docs.')
      .description(
        'Create an asset project that packs as it is: bin/NAME (a shell script printing Hello World), ' +
          'build/windows_amd64/bin/NAME.cmd for Windows agents, a bonsai.yml whose filters the agent matches ' +
          '(linux amd64, arm64 and 32-bit ARMv7, darwin amd64, windows amd64), a README and a .gitignore. ' +
          'Existing files are never overwritten: if any of them exists, nothing is written.',
      )
      .argument('[dir]', 'The project folder, created when missing (default: the current folder).')
      .option('--name <name>', 'The command and asset name (default: the folder name).')
      .option('--json', 'Print {ok, dir, name, files} as JSON.'),
    io,
    {
      examples: [
        'bonsai init hello-world',
        'bonsai init sensu-check-disk && cd sensu-check-disk && bonsai pack --version 0.0.1',
        'bonsai init . --name check-disk --json',
      ],
      exitCodes: [
        [0, 'The project was created.'],
        [1, 'A file of the project exists already; nothing was written.'],
        [2, 'Usage error, such as a name that cannot name an asset.'],
      ],
    },
  ).action(
    run((dir: string | undefined, options: InitOptions) =>
      reportingFailures(io, options.json, () => init(io, dir, options)),
    ),
  );
}

async function init(io: Io, dir: string | undefined, options: InitOptions): Promise<ExitCode> {
  const root = path.resolve(io.cwd, dir ?? '.');
  const name = options.name ?? path.basename(root);
  if (!PROJECT_NAME.test(name)) {
    throw new PackagerError('INIT_BAD_NAME', `'${name}' cannot name an asset and its command`, {
      exitCode: EXIT.USAGE,
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
