import { EXIT, type ExitCode } from '../../../common/exit-codes.js';
import { writeJson, writeLine, type Io } from '../../../common/io.js';
import { UsageError } from '../../../common/usage-error.js';
import {
  ASSET_NAME_PATTERN,
  compareVersions,
  errorsOf,
  latestVersion,
  parseVersion,
  sensuctlVersion,
  sortVersions,
  toDefinitionYaml,
  validateAsset,
  type AssetResource,
} from '../../../bonsai-schema/index.js';
import { BonsaiApiClient } from '../../bonsai-api/client.js';
import { DEFAULT_REGISTRY_URL } from '../../bonsai-api/defaults.js';
import { PackagerError } from '../../errors.js';
import { writeFileAtomically } from '../../fs/write-atomically.js';
import { loadPublicKeys } from '../../signing/keys.js';
import { verifyDefinition } from '../../signing/verify-definition.js';
import { parseAssetReference } from './asset-reference.js';
import { readExport, installedAssetsOf, type InstalledAsset } from '../../outdated/installed.js';

export interface AddOptions {
  registry?: string;
  rename?: string;
  format: string;
  output?: string;
  list?: boolean;
  upgrade?: string;
  timeout: string;
  verifyKey?: string[];
}

/** `bonsai add`: loaded when the verb runs (cli/ registers it from ./index.ts). */
export function runAdd(io: Io, asset: string, options: AddOptions): Promise<ExitCode> {
  return add(io, asset, options);
}

async function add(io: Io, reference: string, options: AddOptions): Promise<ExitCode> {
  const format = options.format;
  if (format !== 'yaml' && format !== 'json') {
    throw new UsageError(`--format must be yaml or json, not ${JSON.stringify(format)}`);
  }
  const timeoutSeconds = Number(options.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError(
      `--timeout must be a positive number of seconds, not ${JSON.stringify(options.timeout)}`,
    );
  }
  if (options.rename !== undefined && !ASSET_NAME_PATTERN.test(options.rename)) {
    throw new UsageError(
      `--rename ${JSON.stringify(options.rename)} is not a valid asset name (letters, digits, _ / . - : only)`,
    );
  }
  const asset = parseAssetReference(reference);
  // Keys are read first: a wrong path must not cost requests.
  const keys = await loadPublicKeys(io.cwd, options.verifyKey ?? []);
  // sensuctl parses the requested version before asking the registry anything.
  if (asset.version !== undefined && !parseVersion(asset.version)) throw malformedVersion(asset.version);
  if (options.list && (asset.version !== undefined || asset.latest)) {
    throw new UsageError('--list takes NAMESPACE/NAME without a version');
  }
  if (options.upgrade !== undefined && (options.list || options.rename !== undefined)) {
    throw new UsageError('--upgrade keeps the installed names: it goes with neither --rename nor --list');
  }
  // Read the export first: a wrong file should fail before any request.
  const installed =
    options.upgrade === undefined ? undefined : await installedFrom(io, options.upgrade, asset);
  const registry = options.registry ?? io.env.BONSAI_REGISTRY_URL ?? DEFAULT_REGISTRY_URL;
  const client = new BonsaiApiClient(registry, timeoutSeconds * 1000);

  const listed = await client.fetchAssetVersions(asset.namespace, asset.name);
  if (listed.skipped > 0) {
    writeLine(
      io.stderr,
      `warning: the registry listed ${listed.skipped} version(s) without a version string; ignored`,
    );
  }
  if (options.list) return listVersions(io, listed.name, listed.versions, format);

  const choice = sensuctlVersion(asset.version, listed.versions);
  if (choice.kind === 'unparseable-request') throw malformedVersion(String(asset.version));
  if (choice.kind === 'no-versions') {
    throw new PackagerError(
      'ASSET_NO_VERSIONS',
      `asset "${listed.name}" does not have any available versions`,
      {
        hint: 'the registry lists no version it can parse: has a release been ingested?',
      },
    );
  }
  if (choice.kind === 'not-found') {
    throw new PackagerError(
      'ASSET_VERSION_NOT_FOUND',
      `version "${asset.version}" of asset "${listed.name}" does not exist\navailable versions: ` +
        (choice.available.join(', ') || '(none)'),
    );
  }
  const version = choice.version;
  if (asset.latest) writeLine(io.stderr, `using latest: ${version}`);
  else if (asset.version === undefined)
    writeLine(io.stderr, `no version specified, using latest: ${version}`);
  writeLine(io.stderr, `fetching bonsai asset: ${asset.namespace}/${asset.name}:${version}`);

  const definition = await client.fetchDefinition(asset.namespace, asset.name, version);
  if (installed !== undefined) {
    return writeUpgrades(
      io,
      definition,
      installed,
      version,
      format,
      options.output,
      `${asset.namespace}/${asset.name}`,
    );
  }
  const resource = renamed(definition, options.rename ?? `${asset.namespace}/${asset.name}`);
  const problems = errorsOf(validateAsset(resource));
  if (problems.length > 0) {
    throw new PackagerError(
      'ASSET_DEFINITION_INVALID',
      `the registry's definition of ${asset.namespace}/${asset.name}:${version} would be refused by sensu: ` +
        problems.map((p) => p.message).join('; '),
    );
  }

  if (keys.length > 0) {
    const verified = await verifyDefinition(resource, keys, timeoutSeconds * 1000);
    writeLine(
      io.stderr,
      `verified: every build's sha512 is in ${verified.checksumFiles.join(', ')}, signed by key ${verified.keyId}`,
    );
  }

  const text = format === 'json' ? JSON.stringify(resource, null, 2) + '\n' : toDefinitionYaml(resource);
  const assetName = resource.metadata.name;
  if (options.output !== undefined) {
    const written = await writeOutput(io, options.output, text);
    writeLine(io.stderr, `wrote asset: ${asset.namespace}/${asset.name}:${version} to ${options.output}`);
    writeLine(io.stderr, `create it with: sensuctl create -f ${written}`);
  } else {
    io.stdout.write(text);
    writeLine(io.stderr, `wrote asset: ${asset.namespace}/${asset.name}:${version} to standard output`);
  }
  writeLine(
    io.stderr,
    `the asset is downloaded only when a check, handler, filter or mutator lists it: "runtime_assets": ["${assetName}"]`,
  );
  return EXIT.OK;
}

/** sensuctl's error for a version go-version cannot parse (checked before any request). */
function malformedVersion(version: string): PackagerError {
  return new PackagerError('ADD_BAD_VERSION', `Malformed version: ${version}`, {
    hint: 'versions look like 1.2.3, v1.2.3 or 1.2.3-rc.1; `latest` (or no version) takes the newest',
  });
}

function listVersions(io: Io, name: string, versions: string[], format: 'yaml' | 'json'): ExitCode {
  const sorted = sortVersions(versions);
  const ignored = versions.filter((v) => !sorted.includes(v));
  if (format === 'json') {
    writeJson(io.stdout, { name, versions: sorted, latest: latestVersion(versions) ?? null, ignored });
    return EXIT.OK;
  }
  for (const v of sorted) writeLine(io.stdout, v);
  if (ignored.length > 0)
    writeLine(io.stderr, `ignored (not versions sensuctl can parse): ${ignored.join(', ')}`);
  if (sorted.length === 0) writeLine(io.stderr, `asset "${name}" does not have any available versions`);
  return EXIT.OK;
}

/** sensuctl renames every resource it fetched; the copy of the metadata under `spec` follows (sensuctl 7.x reads it). */
function renamed(definition: Record<string, unknown>, name: string): AssetResource {
  const resource = structuredClone(definition) as unknown as AssetResource;
  if (typeof resource.metadata !== 'object' || resource.metadata === null) {
    throw new PackagerError('ASSET_DEFINITION_INVALID', 'the registry sent a definition without metadata');
  }
  resource.metadata.name = name;
  const specMetadata = resource.spec?.metadata;
  if (specMetadata && typeof specMetadata === 'object') specMetadata.name = name;
  return resource;
}

async function writeOutput(io: Io, file: string, text: string): Promise<string> {
  return writeFileAtomically(io.cwd, file, text).catch((err: unknown) => {
    throw new PackagerError('OUTPUT_WRITE_FAILED', `cannot write ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  });
}

/** The assets of the export that came from NAMESPACE/NAME (by their io.sensu.bonsai annotations). */
async function installedFrom(io: Io, file: string, asset: { namespace: string; name: string }) {
  const text = await readExport(io, file);
  const all = installedAssetsOf(text, file);
  const wanted = `${asset.namespace}/${asset.name}`.toLowerCase();
  const matching = all.filter(
    (a) => a.origin !== undefined && `${a.origin.namespace}/${a.origin.name}`.toLowerCase() === wanted,
  );
  if (matching.length === 0) {
    throw new PackagerError(
      'ADD_NOT_INSTALLED',
      `no asset in ${file} came from ${asset.namespace}/${asset.name}`,
      {
        hint: 'the origin is read from the io.sensu.bonsai.namespace and .name annotations; bonsai outdated lists them',
      },
    );
  }
  return matching;
}

/**
 * The new definition once per installed copy, under its installed name (and Sensu namespace), as one
 * stream of documents `sensuctl create -f` takes; copies already at that version are left out.
 */
function writeUpgrades(
  io: Io,
  definition: Record<string, unknown>,
  installed: InstalledAsset[],
  version: string,
  format: 'yaml' | 'json',
  output: string | undefined,
  origin: string,
): Promise<ExitCode> {
  const texts: string[] = [];
  for (const copy of installed) {
    const label = copy.namespace ? `${copy.namespace}/${copy.name}` : copy.name;
    if (sameVersion(copy.version, version)) {
      writeLine(io.stderr, `${label} is already at ${version}`);
      continue;
    }
    const resource = renamed(definition, copy.name);
    if (copy.namespace !== undefined) {
      // The installed namespace: without it, sensuctl would create the copy in its current one.
      const { name, ...rest } = resource.metadata;
      resource.metadata = { name, namespace: copy.namespace, ...rest };
    }
    const problems = errorsOf(validateAsset(resource));
    if (problems.length > 0) {
      throw new PackagerError(
        'ASSET_DEFINITION_INVALID',
        `the registry's definition of ${origin}:${version} would be refused by sensu: ` +
          problems.map((p) => p.message).join('; '),
      );
    }
    writeLine(io.stderr, `upgrading ${label} (${origin}) from ${copy.version ?? 'unknown'} to ${version}`);
    texts.push(format === 'json' ? JSON.stringify(resource, null, 2) + '\n' : toDefinitionYaml(resource));
  }
  return (async () => {
    if (texts.length === 0) {
      writeLine(io.stderr, 'nothing to upgrade');
      return EXIT.OK;
    }
    if (output !== undefined) {
      const written = await writeOutput(io, output, texts.join(''));
      writeLine(io.stderr, `create them with: sensuctl create -f ${written}`);
    } else io.stdout.write(texts.join(''));
    return EXIT.OK;
  })();
}

/** `v1.0.0` and `1.0.0` are the same release (go-version equality). */
function sameVersion(installed: string | undefined, version: string): boolean {
  const a = installed === undefined ? undefined : parseVersion(installed);
  const b = parseVersion(version);
  return a !== undefined && b !== undefined && compareVersions(a, b) === 0;
}
