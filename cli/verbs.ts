import { packagerVerbs } from '../packager/commands/index.js';
import type { VerbEntry } from './lazy-group.js';

/**
 * Every verb of the `bonsai` bin, packaging side first, then `bonsai registry ...`. Each packaging verb
 * imports its work when it runs; the registry's verbs are loaded only for `bonsai registry ...`.
 */
export const verbs: readonly VerbEntry[] = [
  ...packagerVerbs,
  {
    name: 'registry',
    summary: 'Run and operate the Bonsai-compatible registry.',
    load: async () => (await import('../registry/commands/index.js')).registryVerbs,
  },
];
