import { RegistryError } from '../errors.js';

/** An unknown OWNER/NAME, with the command that registers it. */
export function notRegistered(repository: string): RegistryError {
  return new RegistryError('NOT_FOUND', `${repository} is not registered`, {
    hint: `register it first: bonsai registry add-repo ${repository}`,
  });
}
