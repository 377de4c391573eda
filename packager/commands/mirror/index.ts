import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { EXIT, type ExitCode } from '../../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../../common/io.js';
import { withVerbHelp } from '../../../common/verb-help.js';
import type { ActionRunner } from '../../../common/verb.js';
import { UsageError } from '../../../common/usage-error.js';
import { parseVersion } from '../../../bonsai-schema/index.js';
import { DEFAULT_TIMEOUT_MS } from '../../bonsai-api/client.js';
import { PackagerError } from '../../errors.js';
import { mirror } from '../../mirror/mirror.js';
import { INDEX_FILE } from '../../mirror/layout.js';
import { parseAssetReference, type AssetReference } from '../add/asset-reference.js';
import { formatBytes, plural, ProgressLine, reportingFailures } from '../report.js';

interface MirrorOptions {
  from: string;
  out: string;
  baseUrl?: string;
  platform?: string[];
  fromFile?: string;
  timeout: string;
  json?: boolean;
}

export function registerMirror(program: Command, io: Io, run: ActionRunner): void {
  withVerbHelp(
    program
      .command('mirror')
      .summary('Copy assets of a Bonsai-compatible registry into a folder any static web server can serve.')
      .description(
        'Copy assets from a Bonsai-compatible registry (this one, or bonsai.sensu.io) into a folder that is ' +
          'itself a registry once served by any static web server (nginx, S3, `python3 -m http.server`): ' +
          'the API answers at their API paths, every artifact under artifacts/, and every URL and annotation ' +
          'moved to --base-url, so `bonsai add` and `sensuctl create -f` work from an air-gapped site. ' +
          'Each artifact is checked against its sha512 while it downloads, and nothing is written unless all ' +
          `of them match. A second run downloads only what is new; ${INDEX_FILE} records what the folder holds.`,
      )
      .argument(
        '[assets...]',
        'NAMESPACE/NAME (every version), NAMESPACE/NAME:VERSION or NAMESPACE/NAME:latest.',
      )
      .requiredOption('--from <url>', 'The registry to copy from, such as https://bonsai.sensu.io.')
      .requiredOption('--out <dir>', 'The folder to write the mirror into (created when missing).')
      .option(
        '--base-url <url>',
        'The URL the folder will be served at (needed on the first run; later runs reuse it).',
      )
      .option(
        '--platform <os/arch>',
        'Copy only the builds of this platform/arch, such as linux/amd64 (repeatable).',
        (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
      )
      .option('--from-file <list>', 'Read more assets from LIST, one a line (# starts a comment).')
      .option(
        '--timeout <seconds>',
        'Give up on a request, or a download that stalls, after this many seconds.',
        String(DEFAULT_TIMEOUT_MS / 1000),
      )
      .option('--json', 'Print the result as one JSON object.'),
    io,
    {
      examples: [
        'bonsai mirror sensu/sensu-slack-handler --from https://bonsai.sensu.io --out ./mirror --base-url https://assets.example.internal',
        'bonsai mirror --from-file assets.txt --platform linux/amd64 --from https://bonsai.sensu.io --out ./mirror',
        'cd mirror && python3 -m http.server 8080',
      ],
      exitCodes: [
        [0, 'The mirror holds every asset asked for.'],
        [
          1,
          'An asset or version is unknown, or an artifact does not match its sha512 (nothing was written).',
        ],
        [2, 'Usage error, such as a malformed NAMESPACE/NAME[:VERSION] or no --base-url on a first run.'],
        [3, 'The source registry or an artifact host could not be reached.'],
      ],
    },
  ).action(
    run((assets: string[], options: MirrorOptions) =>
      reportingFailures(io, options.json, () => runMirror(io, assets, options)),
    ),
  );
}

async function runMirror(io: Io, assets: string[], options: MirrorOptions): Promise<ExitCode> {
  const timeoutSeconds = Number(options.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError(
      `--timeout must be a positive number of seconds, not ${JSON.stringify(options.timeout)}`,
    );
  }
  if (options.baseUrl !== undefined && !/^https?:\/\/[^/]/.test(options.baseUrl)) {
    throw new UsageError(
      `--base-url must be an http(s) URL, not ${JSON.stringify(options.baseUrl)}`,
      'the agents download artifacts from it: e.g. --base-url https://assets.example.internal',
    );
  }
  for (const platform of options.platform ?? []) {
    if (!/^[^/\s]+\/[^/\s]+$/.test(platform)) {
      throw new UsageError(`--platform takes OS/ARCH, such as linux/amd64, not ${JSON.stringify(platform)}`);
    }
  }
  const listed = [...assets];
  if (options.fromFile !== undefined) listed.push(...(await readList(io, options.fromFile)));
  if (listed.length === 0) {
    throw new UsageError('name at least one asset (NAMESPACE/NAME[:VERSION]) or give --from-file LIST');
  }
  const references: AssetReference[] = listed.map((text) => {
    const reference = parseAssetReference(text);
    if (reference.version !== undefined && !parseVersion(reference.version)) {
      throw new PackagerError('ADD_BAD_VERSION', `Malformed version: ${reference.version}`, {
        exitCode: EXIT.USAGE,
        hint: 'versions look like 1.2.3 or v1.2.3; `latest` takes the newest; no version takes every one',
      });
    }
    return reference;
  });

  const progress = new ProgressLine(io.stderr);
  const result = await mirror({
    references,
    from: options.from,
    out: path.resolve(io.cwd, options.out),
    baseUrl: options.baseUrl,
    platforms: options.platform ?? [],
    timeoutMs: timeoutSeconds * 1000,
    onProgress: (text) => progress.update(text),
    onNotice: (text) => {
      progress.clear();
      writeLine(io.stderr, `warning: ${text}`);
    },
  }).finally(() => progress.clear());

  const bytes = result.downloaded.reduce((sum, d) => sum + d.bytes, 0);
  if (options.json) {
    writeJson(io.stdout, {
      ok: true,
      out: options.out,
      base_url: result.baseUrl,
      assets: result.assets,
      downloaded: result.downloaded,
      present: result.present,
    });
    return EXIT.OK;
  }
  for (const asset of result.assets) {
    writeLine(io.stdout, `mirrored ${asset.name}: ${asset.versions.join(', ')}`);
  }
  writeLine(
    io.stdout,
    `downloaded ${plural(result.downloaded.length, 'artifact')} (${formatBytes(bytes)}), ` +
      `${result.present} already present; serve ${options.out} at ${result.baseUrl}`,
  );
  return EXIT.OK;
}

/** `--from-file`: one reference a line; blank lines and `#` comments are skipped. */
async function readList(io: Io, file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path.resolve(io.cwd, file), 'utf8');
  } catch (err) {
    throw new PackagerError('MIRROR_LIST_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`, {
      exitCode: EXIT.USAGE,
      hint: 'the list names one asset a line: NAMESPACE/NAME[:VERSION]',
    });
  }
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '');
}
