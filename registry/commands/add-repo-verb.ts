import type { Command } from 'commander';
import { EXIT } from '../../common/exit-codes.js';
import { writeLine, type Io } from '../../common/io.js';
import { withVerbHelp } from '../../common/verb-help.js';
import type { ActionRunner } from '../../common/verb.js';
import { findLocalServer } from '../local-server.js';
import { parseRegistration, registerRepository } from '../repos.js';
import { cliActor } from './actor.js';
import { STORE_SETTINGS, configFrom, withSettingFlags, type VerbOptions } from './options.js';
import { remoteAddRepo } from './remote.js';
import { withRuntime } from './with-runtime.js';

/** `bonsai registry add-repo OWNER/NAME`: the asset's settings, checked by parseRegistration. */
type AddRepoOptions = VerbOptions<{ tier?: string; tags?: string; description?: string }>;

export function registerAddRepo(registry: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    withSettingFlags(
      registry
        .command('add-repo')
        .summary('Register a GitHub repository as asset OWNER/NAME and queue its first sync.')
        .description(
          'Register a GitHub repository as asset OWNER/NAME (namespace = owner, name = repository, ' +
            'version = tag) and queue its first sync, which a running `bonsai registry serve` picks up; ' +
            '`bonsai registry sync` runs it now. Running it again updates the tier, tags and description.',
        )
        .argument('<OWNER/NAME>', 'The GitHub repository.')
        .option('--tier <tier>', 'The Bonsai tier shown in io.sensu.bonsai.tier (default: Community).')
        .option('--tags <a,b>', 'The tags shown in io.sensu.bonsai.tags, separated by commas.')
        .option('--description <text>', 'The description (default: the GitHub repository description).'),
      STORE_SETTINGS,
    ),
    io,
    {
      examples: [
        'bonsai registry add-repo sensu/sensu-slack-handler --tier Supported --tags slack,handler',
        'bonsai registry add-repo acme/sensu-check-foo && bonsai registry sync acme/sensu-check-foo',
      ],
      exitCodes: [
        [0, 'The repository was registered (or updated) and its sync queued.'],
        [1, 'OWNER/NAME or a setting of it is invalid.'],
        [2, 'Usage error, such as an invalid setting.'],
        [3, 'The database failed.'],
      ],
    },
  ).action(
    run(async (repository: string, options: AddRepoOptions) => {
      const { ref, settings } = parseRegistration({
        repository,
        tier: options.tier,
        tags: options.tags,
        description: options.description,
      });
      const server = await findLocalServer(configFrom(io, options));
      if (server) {
        return remoteAddRepo(server, ref, settings).then((reg) => {
          writeLine(
            io.stdout,
            `${reg.created ? 'registered' : 'updated'} ${reg.name} (sync job ${reg.jobId} queued)`,
          );
          writeLine(io.stderr, `the registry running at ${server.url} ingests it now`);
          return EXIT.OK;
        });
      }
      return withRuntime(io, options, async (runtime) => {
        const reg = await registerRepository(runtime, ref, settings, 'add-repo', { actor: cliActor() });
        const name = `${reg.asset.namespace}/${reg.asset.name}`;
        writeLine(
          io.stdout,
          `${reg.created ? 'registered' : 'updated'} ${name} (sync job ${reg.jobId} queued)`,
        );
        writeLine(
          io.stderr,
          `a running \`bonsai registry serve\` ingests it; or now: bonsai registry sync ${name}`,
        );
        return EXIT.OK;
      });
    }),
  );
}
