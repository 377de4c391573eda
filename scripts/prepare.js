// `npm run prepare` (npm runs it on `npm install`/`npm ci` in the clone, on `npm pack`, and on
// `npm install -g .` / `npm link` of a clone): compile dist/ with the dev dependencies.
//
// In a fresh clone installed with `npm install -g .` or `npm link`, npm links the global `bonsai` to the
// clone without installing the clone's own dependencies, so neither tsc nor the runtime dependencies
// are there: install them first (from the lock file, scripts off so this does not run again), then
// build. Everything else (a plain `npm install`, `npm ci`) already has them and only builds.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.env.npm_execpath;

/** Runs npm (the same npm that runs this script) in the clone; stops the install when it fails. */
function runNpm(args, env) {
  const result = npm
    ? spawnSync(process.execPath, [npm, ...args], { cwd: root, stdio: 'inherit', env })
    : spawnSync('npm', args, { cwd: root, stdio: 'inherit', env, shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (!existsSync(new URL('../node_modules/typescript/bin/tsc', import.meta.url))) {
  // The outer `npm install -g` passes its global settings down; the clone's install must be local.
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_config_(global|location|prefix|omit|include|production|only|dry_run|install_links)$/i.test(key))
      delete env[key];
  }
  process.stderr.write(`bonsai: installing the dependencies of ${root} to build it\n`);
  runNpm(['ci', '--ignore-scripts', '--include=dev', '--no-audit', '--no-fund', '--prefer-offline'], env);
}
runNpm(['run', 'build'], process.env);
