import type { VerbRegistration } from '../../cli/program.js';
import { registerServe } from './serve.js';
import { registerAddRepo, registerMigrate, registerStatus, registerSync } from './store-verbs.js';
import { registerAudit, registerToken } from './token-verbs.js';

/** `bonsai registry serve | migrate | add-repo | sync | status | token | audit`. */
export const registryVerbs: VerbRegistration = (program, io, run) => {
  const registry = program
    .command('registry')
    .description(
      'run and operate the Bonsai-compatible registry (see README.md, Running the registry, for its settings)',
    );
  registerServe(registry, io, run);
  registerMigrate(registry, io, run);
  registerAddRepo(registry, io, run);
  registerSync(registry, io, run);
  registerStatus(registry, io, run);
  registerToken(registry, io, run);
  registerAudit(registry, io, run);
};
