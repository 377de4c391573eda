import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `name` that sits beside the caller (`from` is the caller's `import.meta.url`):
 * compiled, `name.js`; from the sources (tests, `npm run bonsai`, bin/bonsai.js without dist/), `name.ts`
 * through tsx, since a worker thread does not inherit the loader hooks the main thread registered.
 */
export function startWorkerBeside(from: string, name: string): Worker {
  const fromSources = from.endsWith('.ts');
  const entry = new URL(`./${name}.${fromSources ? 'ts' : 'js'}`, from);
  if (!fromSources) return new Worker(entry);
  // The ESM build of tsx's API: on Node 20, `tsx/esm` registers nothing in a worker thread.
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(TS_BOOTSTRAP, { eval: true, workerData: { entry: entry.href, tsx } });
}

const TS_BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
import(workerData.tsx)
  .then((tsx) => tsx.register())
  .then(() => import(workerData.entry));
`;
