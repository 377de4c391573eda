import { PackagerError } from '../../errors.js';
import { EXIT } from '../../../cli/io.js';

export interface AssetReference {
  namespace: string;
  name: string;
  version: string | undefined;
}

/** `NAMESPACE/NAME[:VERSION]`, with sensuctl's rules and messages (sensu-go `bonsai.NewBaseAsset`). */
export function parseAssetReference(reference: string): AssetReference {
  const parts = reference.split(':');
  if (parts.length > 2) {
    throw new PackagerError('ADD_BAD_NAME', `only one colon is permitted in the asset name: ${reference}`, {
      exitCode: EXIT.USAGE,
    });
  }
  const [path = '', version] = parts;
  const segments = path.split('/');
  const [namespace, name] = segments;
  if (segments.length !== 2 || !namespace || !name || version === '') {
    throw new PackagerError(
      'ADD_BAD_NAME',
      `asset name must be specified in the format "namespace/asset" (e.g. mynamespace/cpu-check), not ${JSON.stringify(reference)}`,
      { exitCode: EXIT.USAGE, hint: 'add a version with a colon: mynamespace/cpu-check:1.2.0' },
    );
  }
  return { namespace, name, version };
}
