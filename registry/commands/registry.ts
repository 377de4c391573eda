import type { VerbRegistration } from '../../cli/program.js';
import { registerKeyVerbs } from './key-verbs.js';
import { registerServe } from './serve.js';
import { registerAddRepo, registerMigrate, registerStatus, registerSync } from './store-verbs.js';

/** `bonsai registry serve | migrate | add-repo | sync | status | key`. */
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
  registerKeyVerbs(registry, io, run);
};
