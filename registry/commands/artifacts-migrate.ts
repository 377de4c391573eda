import path from 'node:path';
import { Option, type Command } from 'commander';
import { EXIT } from '../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../common/io.js';
import { withVerbHelp } from '../../common/verb-help.js';
import type { ActionRunner } from '../../common/verb.js';
import { migrateFolderToBucket, type MigrateReport } from '../artifacts/migrate.js';
import { bucketStore } from '../artifacts/open.js';
import { withStatusDb } from '../status.js';
import { recordedDigests } from '../store/copies.js';
import { ARTIFACT_STORE_SETTINGS, configFrom, withSettingFlags } from './options.js';

/** `bonsai registry artifacts migrate --to s3`. */
export function registerArtifactsMigrate(artifacts: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    withSettingFlags(
      artifacts
        .command('migrate')
        .summary('Copy DATA_DIR/artifacts into the S3 bucket, before switching to ARTIFACTS_MODE=s3.')
        .description(
          'Copy every verified copy of DATA_DIR/artifacts into S3_BUCKET under S3_PREFIX/COMMIT/FILE, ' +
            'hashing each file while it is uploaded and checking it against the sha512 recorded at ingest. ' +
            'Objects are written once: one already there with the same bytes is left as it is (so it can ' +
            'run again), one with other bytes is reported and never overwritten. The folder is not changed.',
        )
        .addOption(
          new Option('--to <store>', "Where to copy to: 's3'.").choices(['s3']).makeOptionMandatory(),
        )
        .option('--json', 'Print JSON.'),
      ARTIFACT_STORE_SETTINGS.filter((s) => s !== 'ARTIFACTS_MODE'),
    ),
    io,
    {
      examples: [
        'bonsai registry artifacts migrate --to s3 --s3-bucket bonsai-artifacts --s3-region eu-west-1',
        'bonsai registry artifacts migrate --to s3 --s3-endpoint http://minio:9000 --s3-force-path-style true --json',
      ],
      exitCodes: [
        [0, 'Every file is in the bucket with its recorded bytes.'],
        [1, 'A file differs from its recorded sha512, or the bucket holds other bytes at its key.'],
        [2, 'Usage error, such as --to other than s3 or S3_BUCKET unset.'],
        [3, 'The database or the bucket failed.'],
      ],
    },
  ).action(
    run(async (options: Record<string, unknown>) => {
      // The bucket's settings, whatever mode the registry runs in now (it is switched after the copy).
      const config = configFrom({ ...io, env: { ...io.env, ARTIFACTS_MODE: 's3' } }, options);
      // Never undefined: with ARTIFACTS_MODE=s3, loadConfig already refused a missing S3_BUCKET.
      const bucket = bucketStore(config)!;
      try {
        // The database is only read (the recorded sha512s): it must exist and be migrated already.
        const recorded = await withStatusDb(config, (db) => recordedDigests(db));
        const report = await migrateFolderToBucket(path.join(config.dataDir, 'artifacts'), bucket, recorded);
        printReport(io, report, options.json === true);
        return report.problems.length === 0 ? EXIT.OK : EXIT.INVALID;
      } finally {
        bucket.close?.();
      }
    }),
  );
}

function printReport(io: Io, report: MigrateReport, json: boolean): void {
  if (json) {
    writeJson(io.stdout, report);
    return;
  }
  for (const p of report.problems) {
    writeLine(
      io.stdout,
      p.problem === 'corrupt'
        ? `corrupt  ${p.path}: sha512 ${p.sha512}, recorded ${p.expected_sha512}; not copied`
        : `conflict  ${p.path}: the bucket holds other bytes under this key; left as it is`,
    );
  }
  writeLine(
    io.stdout,
    `${report.files} file(s) in ${report.from}: ${report.copied} copied to ${report.to}, ` +
      `${report.present} already there, ${report.problems.length} not copied`,
  );
}
