import type { VerbRegistration } from '../../common/verb.js';
import { registerAdd } from './add/index.js';
import { registerCheck } from './check/index.js';
import { registerInit } from './init/index.js';
import { registerKeygen } from './keygen/index.js';
import { registerLint } from './lint/index.js';
import { registerMirror } from './mirror/index.js';
import { registerOutdated } from './outdated/index.js';
import { registerPack } from './pack/index.js';
import { registerPublish } from './publish/index.js';
import { registerVerify } from './verify/index.js';

/** The packaging side of `bonsai`, in the order a release uses them; `add` fetches what a registry serves. */
export const packagerVerbs: readonly VerbRegistration[] = [
  registerInit,
  registerLint,
  registerKeygen,
  registerPack,
  registerCheck,
  registerVerify,
  registerPublish,
  registerAdd,
  registerMirror,
  registerOutdated,
];
