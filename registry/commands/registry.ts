import { withVerbHelp } from '../../common/verb-help.js';
import type { VerbRegistration } from '../../common/verb.js';
import { registerAddRepo } from './add-repo-verb.js';
import { registerArtifacts } from './artifacts-group.js';
import { registerAudit } from './audit-verb.js';
import { registerImport } from './import-verb.js';
import { registerKeyVerbs } from './key-verbs.js';
import { registerMigrate } from './migrate-verb.js';
import { registerServe } from './serve.js';
import { registerStatus } from './status-verb.js';
import { registerSync } from './sync-verb.js';
import { registerToken } from './token-verbs.js';

/** `bonsai registry serve | migrate | add-repo | sync | status | import | token | audit | key`. */
export const registryVerbs: VerbRegistration = (program, io, run) => {
  const registry = withVerbHelp(
    program
      .command('registry')
      .summary('Run and operate the Bonsai-compatible registry.')
      .description(
        'Run and operate the Bonsai-compatible registry: serve its API, apply its migrations, register ' +
          'repositories, sync them by hand and show what was ingested. Settings come from environment ' +
          'variables, each overridable by its flag; README.md (Running the registry) lists them all.',
      ),
    io,
    {
      examples: [
        'bonsai registry serve',
        'bonsai registry add-repo sensu/sensu-slack-handler && bonsai registry sync sensu/sensu-slack-handler',
        'bonsai registry status --json',
      ],
      exitCodes: [
        [0, 'The verb did what was asked.'],
        [1, 'The input is wrong, such as an unknown repository or a version that failed to ingest.'],
        [2, 'Usage error, such as an invalid setting.'],
        [3, 'The database or GitHub failed.'],
      ],
    },
  );
  registerServe(registry, io, run);
  registerMigrate(registry, io, run);
  registerAddRepo(registry, io, run);
  registerSync(registry, io, run);
  registerStatus(registry, io, run);
  registerImport(registry, io, run);
  registerToken(registry, io, run);
  registerAudit(registry, io, run);
  registerKeyVerbs(registry, io, run);
  registerArtifacts(registry, io, run);
};
