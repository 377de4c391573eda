import type { Command } from 'commander';
import { EXIT } from '../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../common/io.js';
import { withVerbHelp } from '../../common/verb-help.js';
import type { ActionRunner } from '../../common/verb.js';
import { configuredStore } from '../artifacts/open.js';
import { verifyCopies, type VerifyReport } from '../artifacts/verify.js';
import { RegistryError } from '../errors.js';
import { parseRepository } from '../repos.js';
import { withStatusDb } from '../status.js';
import { findAsset } from '../store/assets.js';
import { recordedCopies } from '../store/copies.js';
import { notRegistered } from './not-registered.js';
import { ARTIFACT_STORE_SETTINGS, configFrom, withSettingFlags } from './options.js';

/** `bonsai registry artifacts verify [NAMESPACE/NAME]`. */
export function registerArtifactsVerify(artifacts: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    withSettingFlags(
      artifacts
        .command('verify')
        .summary('Re-read stored artifacts and compare them with their recorded sha512.')
        .description(
          'Re-read every mirrored copy the database records (in DATA_DIR/artifacts or the S3 bucket, as ' +
            'ARTIFACTS_MODE says) and compare its bytes with the sha512 recorded at ingest; report each ' +
            'copy that is missing or holds other bytes. Run it after a storage incident, or on a bucket ' +
            'that many replicas share. It changes nothing.',
        )
        .argument('[ASSET]', 'An asset, NAMESPACE/NAME: only its copies are read (default: every asset).')
        .option('--json', 'Print JSON.'),
      ARTIFACT_STORE_SETTINGS,
    ),
    io,
    {
      examples: [
        'bonsai registry artifacts verify',
        'bonsai registry artifacts verify acme/sensu-check-foo --artifacts-mode s3 --s3-bucket bonsai-artifacts --json',
      ],
      exitCodes: [
        [0, 'Every copy is in the store with its recorded bytes.'],
        [1, 'A copy is missing or changed, or the asset is not registered.'],
        [2, 'Usage error, such as an invalid setting or ARTIFACTS_MODE=link.'],
        [3, 'The database or the artifact store failed.'],
      ],
    },
  ).action(
    run(async (repository: string | undefined, options: Record<string, unknown>) => {
      const config = configFrom(io, options);
      const ref = repository === undefined ? undefined : { ...parseRepository(repository), text: repository };
      const store = configuredStore(config);
      if (!store) {
        throw new RegistryError(
          'SETTINGS_INVALID',
          'ARTIFACTS_MODE is link: the registry stores no artifacts',
          {
            hint: "run it with the settings the registry runs with: ARTIFACTS_MODE 'mirror' or 's3'",
          },
        );
      }
      try {
        const copies = await withStatusDb(config, async (db) => {
          if (!ref) return recordedCopies(db);
          const asset = await findAsset(db, ref.namespace, ref.name);
          if (!asset) throw notRegistered(ref.text);
          return recordedCopies(db, asset.id);
        });
        const report = await verifyCopies(store, copies);
        printReport(io, report, options.json === true);
        return report.problems.length === 0 ? EXIT.OK : EXIT.INVALID;
      } finally {
        store.close?.();
      }
    }),
  );
}

function printReport(io: Io, report: VerifyReport, json: boolean): void {
  if (json) {
    writeJson(io.stdout, report);
    return;
  }
  for (const p of report.problems) {
    const served = p.published ? '' : ' (not served yet: its copy waits to be published)';
    const found = p.found_sha512
      ? `; the store holds ${p.found_size} bytes with sha512 ${p.found_sha512}`
      : '';
    writeLine(
      io.stdout,
      `${p.problem}  ${p.asset} ${p.version}  ${p.path}${served}: recorded sha512 ${p.expected_sha512}${found}`,
    );
  }
  const missing = report.problems.filter((p) => p.problem === 'missing').length;
  writeLine(
    io.stdout,
    `${report.checked} cop${report.checked === 1 ? 'y' : 'ies'} checked in ${report.store}: ` +
      `${report.intact} intact, ${report.problems.length - missing} changed, ${missing} missing`,
  );
}
