import type { VerbRegistration } from '../../cli/program.js';

export const packagerVerbs: readonly VerbRegistration[] = [];
