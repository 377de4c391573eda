import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT, type ExitCode } from '../../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../../common/io.js';
import { UsageError } from '../../../common/usage-error.js';
import { parseVersion } from '../../../bonsai-schema/index.js';
import { PackagerError } from '../../errors.js';
import { mirror } from '../../mirror/mirror.js';
import { parseAssetReference, type AssetReference } from '../add/asset-reference.js';
import { formatBytes, plural, ProgressLine, reportingFailures } from '../report.js';

export interface MirrorOptions {
  from: string;
  out: string;
  baseUrl?: string;
  platform?: string[];
  fromFile?: string;
  timeout: string;
  json?: boolean;
}

/** `bonsai mirror`: loaded when the verb runs (cli/ registers it from ./index.ts). */
export function runMirror(io: Io, assets: string[], options: MirrorOptions): Promise<ExitCode> {
  return reportingFailures(io, options.json, () => mirrorAssets(io, assets, options));
}

async function mirrorAssets(io: Io, assets: string[], options: MirrorOptions): Promise<ExitCode> {
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
      hint: 'the list names one asset a line: NAMESPACE/NAME[:VERSION]',
    });
  }
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '');
}
