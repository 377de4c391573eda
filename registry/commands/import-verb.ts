import path from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../common/io.js';
import { withVerbHelp } from '../../common/verb-help.js';
import type { ActionRunner } from '../../common/verb.js';
import { importMirror, MIRROR_INDEX } from '../import/mirror-import.js';
import { STORE_SETTINGS, withSettingFlags, type VerbOptions } from './options.js';
import { withRuntime } from './with-runtime.js';

/** `bonsai registry import DIR`. */
type ImportOptions = VerbOptions<{ json?: boolean }>;

export function registerImport(registry: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    withSettingFlags(
      registry
        .command('import')
        .summary('Load a folder written by `bonsai mirror` into the registry.')
        .description(
          `Load a folder written by \`bonsai mirror\` (it holds ${MIRROR_INDEX}) into the registry, so its ` +
            "assets are listed, searched and served with the mirror's artifact URLs. Every artifact is " +
            'checked against its sha512 first and everything is written in one transaction: a damaged mirror ' +
            'imports nothing. Imported assets are never polled or synced from GitHub; status shows their ' +
            'source. Importing the same mirror again changes nothing; an updated mirror adds its new versions.',
        )
        .argument('<DIR>', 'The mirror folder.')
        .option('--json', 'Print the result as JSON.'),
      STORE_SETTINGS,
    ),
    io,
    {
      examples: [
        'bonsai registry import ./mirror',
        'DATABASE_URL=postgres://bonsai@db/bonsai bonsai registry import /srv/mirror --json',
      ],
      exitCodes: [
        [0, 'The mirror was imported (or was already).'],
        [
          1,
          'DIR is not a mirror, an artifact does not match its sha512, or an asset is synced from GitHub here (nothing was imported).',
        ],
        [2, 'Usage error, such as an invalid setting.'],
        [3, 'The database failed.'],
      ],
    },
  ).action(
    run(async (dir: string, options: ImportOptions) =>
      withRuntime(io, options, async (runtime) => {
        const report = await importMirror(
          { db: runtime.db, cache: runtime.cache, urls: runtime.urls },
          path.resolve(io.cwd, dir),
        );
        if (options.json === true) writeJson(io.stdout, report);
        else {
          for (const a of report.assets) {
            const unchanged = a.unchanged.length > 0 ? ` (unchanged: ${a.unchanged.join(', ')})` : '';
            writeLine(
              io.stdout,
              `${a.name}: imported ${a.imported.length > 0 ? a.imported.join(', ') : 'nothing new'}${unchanged}`,
            );
          }
          writeLine(io.stdout, `source: mirror ${report.base_url}`);
        }
        return EXIT.OK;
      }),
    ),
  );
}
