/**
 * The Bonsai client's defaults, in their own file so the help of `add`, `mirror` and `outdated` reads them
 * without loading the client.
 */

/** sensuctl's own timeout for each Bonsai request (sensu-go `bonsai/client.go`). */
export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_REGISTRY_URL = 'https://bonsai.sensu.io';
