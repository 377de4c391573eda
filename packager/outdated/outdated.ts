import { compareVersions, latestStable, parseVersion } from '../../bonsai-schema/index.js';
import { BonsaiApiClient } from '../bonsai-api/client.js';
import { isPackagerError } from '../errors.js';
import type { InstalledAsset } from './installed.js';

export type OutdatedStatus = 'outdated' | 'up-to-date' | 'unknown-origin' | 'not-in-registry';

export interface OutdatedRow {
  asset: string;
  namespace: string | null;
  /** `NS/NAME` at the registry (differs from `asset` for a renamed asset). */
  source: string | null;
  installed: string | null;
  /** The highest release (a pre-release only when the registry has nothing else). */
  latest: string | null;
  /** The highest release with the installed major version: the upgrade that should not break. */
  latest_same_major: string | null;
  registry: string | null;
  status: OutdatedStatus;
}

/**
 * Compares each installed asset with what its registry lists now. The registry is `--registry` when
 * given, else the one named by the asset's own `io.sensu.bonsai.api_url`, else `fallbackRegistry`.
 * Each registry and asset is asked once.
 */
export async function findOutdated(
  installed: InstalledAsset[],
  options: { registry: string | undefined; fallbackRegistry: string; timeoutMs: number },
): Promise<OutdatedRow[]> {
  const listed = new Map<string, Promise<string[] | undefined>>();
  const rows: OutdatedRow[] = [];
  for (const asset of installed) {
    const base = {
      asset: asset.name,
      namespace: asset.namespace ?? null,
      installed: asset.version ?? null,
    };
    const installedVersion = asset.version === undefined ? undefined : parseVersion(asset.version);
    if (asset.origin === undefined || installedVersion === undefined) {
      rows.push({
        ...base,
        source: null,
        latest: null,
        latest_same_major: null,
        registry: null,
        status: 'unknown-origin',
      });
      continue;
    }
    const source = `${asset.origin.namespace}/${asset.origin.name}`;
    const registry = options.registry ?? registryOf(asset.apiUrl) ?? options.fallbackRegistry;
    const client = new BonsaiApiClient(registry, options.timeoutMs);
    const registryUrl = client.assetsUrl.replace(/\/api\/v1\/assets$/, '');
    const key = `${client.assetsUrl} ${source.toLowerCase()}`;
    if (!listed.has(key)) listed.set(key, versionsOf(client, asset.origin));
    const versions = await listed.get(key)!;
    if (versions === undefined) {
      rows.push({
        ...base,
        source,
        latest: null,
        latest_same_major: null,
        registry: registryUrl,
        status: 'not-in-registry',
      });
      continue;
    }
    const latest = latestStable(versions);
    const sameMajor = latestStable(
      versions.filter((v) => parseVersion(v)?.segments[0] === installedVersion.segments[0]),
    );
    const newer = (v: string | undefined) =>
      v !== undefined && compareVersions(parseVersion(v)!, installedVersion) > 0;
    rows.push({
      ...base,
      source,
      latest: latest ?? null,
      latest_same_major: sameMajor ?? null,
      registry: registryUrl,
      status: newer(latest) || newer(sameMajor) ? 'outdated' : 'up-to-date',
    });
  }
  return rows;
}

/** The registry base from `<base>/api/v1/assets/NS/NAME`. */
function registryOf(apiUrl: string | undefined): string | undefined {
  const at = apiUrl?.indexOf('/api/v1/assets/') ?? -1;
  return apiUrl !== undefined && at > 0 && /^https?:\/\//.test(apiUrl) ? apiUrl.slice(0, at) : undefined;
}

/** The parseable versions the registry lists; undefined when it does not know the asset (404). */
async function versionsOf(
  client: BonsaiApiClient,
  origin: { namespace: string; name: string },
): Promise<string[] | undefined> {
  try {
    const listed = await client.fetchAssetVersions(origin.namespace, origin.name);
    return listed.versions.filter((v) => parseVersion(v) !== undefined);
  } catch (err) {
    if (isPackagerError(err) && err.code === 'ASSET_NOT_FOUND') return undefined;
    throw err;
  }
}
