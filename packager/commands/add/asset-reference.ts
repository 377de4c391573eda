import { PackagerError } from '../../errors.js';

export interface AssetReference {
  namespace: string;
  name: string;
  /** The version asked for; undefined for none and for `latest` (the newest, as sensuctl takes it). */
  version: string | undefined;
  /** True when the user wrote `:latest`. */
  latest: boolean;
}

/** `NAMESPACE/NAME[:VERSION]`, with sensuctl's rules and messages (sensu-go `bonsai.NewBaseAsset`). */
export function parseAssetReference(reference: string): AssetReference {
  const parts = reference.split(':');
  if (parts.length > 2) {
    throw new PackagerError('ADD_BAD_NAME', `only one colon is permitted in the asset name: ${reference}`, {
      hint: 'one colon separates the version: mynamespace/cpu-check:1.2.0',
    });
  }
  const [path = '', version] = parts;
  const segments = path.split('/');
  const [namespace, name] = segments;
  if (segments.length !== 2 || !namespace || !name || version === '') {
    throw new PackagerError(
      'ADD_BAD_NAME',
      `asset name must be specified in the format "namespace/asset" (e.g. mynamespace/cpu-check), not ${JSON.stringify(reference)}`,
      { hint: badNameHint(segments, version) },
    );
  }
  const latest = version === 'latest';
  return { namespace, name, version: latest ? undefined : version, latest };
}

/** What to change, for the mistake actually made. */
function badNameHint(segments: string[], version: string | undefined): string {
  const suffix = version ? `:${version}` : '';
  if (segments.length === 1) {
    const name = segments[0] || 'NAME';
    return `give the namespace (the GitHub owner of the asset) before the name: bonsai add OWNER/${name}${suffix}`;
  }
  if (segments.length > 2) {
    return `the namespace and the name are separated by one slash (NAMESPACE/NAME), e.g. bonsai add ${segments.slice(0, 2).join('/') || 'OWNER/NAME'}${suffix}`;
  }
  if (!segments[0] || !segments[1])
    return 'both parts are needed: NAMESPACE/NAME, e.g. mynamespace/cpu-check';
  return `after the colon comes a version, or leave it out for the latest: ${segments.join('/')}:1.2.0`;
}
