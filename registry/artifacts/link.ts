import type { Artifacts } from './port.js';

/** Build URLs point at GitHub's browser_download_url; nothing is stored. */
export function createLinkArtifacts(): Artifacts {
  return {
    mode: 'link',
    description: 'link (build URLs point at GitHub)',
    openSink: async () => undefined,
    locate: () => undefined,
    read: async () => undefined,
  };
}
