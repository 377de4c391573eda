import type { VerbRegistration } from '../../cli/program.js';
import { registerLint } from './lint/index.js';

export const packagerVerbs: readonly VerbRegistration[] = [registerLint];
