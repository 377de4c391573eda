#!/usr/bin/env node
// The `bonsai` bin. It runs the compiled CLI (dist/, built by `prepare` on install and shipped in the
// package); in a clone that was never built (`npm install --ignore-scripts`) it runs the TypeScript
// sources through tsx when the dev dependencies are there, and otherwise says how to build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
const sources = new URL('../cli/main.ts', import.meta.url);

if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    const root = fileURLToPath(new URL('..', import.meta.url));
    process.stderr.write(
      `error: bonsai is not built: ${fileURLToPath(compiled)} is missing\n` +
        `hint: build it once: cd ${root} && npm install && npm run build\n`,
    );
    process.exit(1);
  }
  register();
  await import(sources.href);
}
