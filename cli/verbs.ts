import type { VerbRegistration } from '../common/verb.js';
import { packagerVerbs } from '../packager/commands/index.js';
import { registryVerbs } from '../registry/commands/index.js';

/** Every verb of the `bonsai` bin, packaging side first, then `bonsai registry ...`. */
export const verbs: readonly VerbRegistration[] = [...packagerVerbs, registryVerbs];
