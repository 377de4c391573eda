import type { Command } from 'commander';
import { type Io } from '../../common/io.js';
import { withVerbHelp } from '../../common/verb-help.js';
import type { ActionRunner } from '../../common/verb.js';
import { registerArtifactsMigrate } from './artifacts-migrate.js';
import { registerArtifactsVerify } from './artifacts-verify.js';

/** `bonsai registry artifacts verify | migrate`. */
export function registerArtifacts(registry: Command, io: Io, run: ActionRunner): void {
  const artifacts = withVerbHelp(
    registry
      .command('artifacts')
      .summary('Check and move the mirrored artifacts (DATA_DIR/artifacts or an S3 bucket).')
      .description(
        'Check and move the verified copies the registry keeps in mirror and s3 modes: verify re-reads ' +
          'them and compares them with the recorded sha512, migrate copies DATA_DIR/artifacts into a bucket.',
      ),
    io,
    {
      examples: [
        'bonsai registry artifacts verify --json',
        'bonsai registry artifacts migrate --to s3 --s3-bucket bonsai-artifacts',
      ],
      exitCodes: [
        [0, 'The verb did what was asked.'],
        [1, 'A copy is missing, changed or in conflict.'],
        [2, 'Usage error, such as an invalid setting.'],
        [3, 'The database or the artifact store failed.'],
      ],
    },
  );
  registerArtifactsVerify(artifacts, io, run);
  registerArtifactsMigrate(artifacts, io, run);
}
