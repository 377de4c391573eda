import type { Command } from 'commander';
import { DEFAULT_GITHUB_API_URL } from '../../github/api-url.js';
import type { Io } from '../../../common/io.js';
import { withVerbHelp } from '../../../common/verb-help.js';
import type { ActionRunner } from '../../../common/verb.js';
import type { PublishOptions } from './run.js';

/** Only the verb's name, help and options: its work is in ./run.ts, imported when it runs. */
export function registerPublish(program: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    program
      .command('publish')
      .summary('Create the GitHub release for a tag and upload the archives and checksum files.')
      .description(
        'Publish a release to GitHub. First `bonsai check` runs (nothing is uploaded when it fails); ' +
          'then the release for --tag is reused or created as a draft, every archive and checksum file ' +
          "named by bonsai.yml is uploaded, and the release is published last, so a registry's webhook " +
          'never sees it without its files. A re-run skips files already there with the same bytes and ' +
          'refuses different ones unless --replace. It needs GITHUB_TOKEN (contents: write on the ' +
          'repository).',
      )
      .argument('[dir]', 'The asset project (default: the current folder).')
      .requiredOption('--repo <owner/name>', 'The GitHub repository (#{repo} is its name).')
      .requiredOption('--tag <tag>', 'The release tag, verbatim; it must already be pushed (#{version}).')
      .option('--dist <dir>', 'The folder holding the release files (default: DIR/dist).')
      .option('--draft', 'Leave the release as a draft.')
      .option('--no-draft', 'Publish a release that is still a draft.')
      .option('--prerelease', 'Mark the release as a pre-release.')
      .option('--no-prerelease', 'Mark the release as a full release.')
      .option('--notes <file>', 'Take the release notes (Markdown) from FILE.')
      .option('--replace', 'Replace files already uploaded with different bytes.')
      .option(
        '--github-api-url <url>',
        `The GitHub API base (env GITHUB_API_URL; default ${DEFAULT_GITHUB_API_URL}; GitHub Enterprise: https://HOST/api/v3).`,
      )
      .option(
        '--no-pacing',
        'Do not space uploads 1 s apart (for an emulator, or GitHub Enterprise without secondary rate limits).',
      )
      .option('--json', 'Print one JSON object: {ok, release, files}.'),
    io,
    {
      examples: [
        'GITHUB_TOKEN=... bonsai publish --repo acme/sensu-check-foo --tag 1.2.0 --notes CHANGELOG.md',
        'bonsai publish --repo acme/sensu-check-foo --tag 1.2.0 --draft --json',
      ],
      exitCodes: [
        [0, 'The release was published (or left a draft with --draft).'],
        [
          1,
          'The check failed, the token was refused or lacks permission, the tag is not pushed, or files conflict.',
        ],
        [2, 'Usage error, such as no GITHUB_TOKEN.'],
        [
          3,
          'GitHub could not be reached, failed or is rate limited; run it again later (uploaded files are skipped).',
        ],
      ],
    },
  ).action(
    run(async (dir: string | undefined, options: PublishOptions) =>
      (await import('./run.js')).runPublish(io, dir, options),
    ),
  );
}
