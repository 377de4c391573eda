#!/usr/bin/env node
import { EXIT } from '../common/exit-codes.js';
import { internalErrorText, runCli } from './program.js';
import { userFolder } from './user-folder.js';
import { verbs } from './verbs.js';

const cwd = userFolder(process.env, process.cwd());
// Relative paths and default data folders are the user's, also for code that reads process.cwd().
if (cwd !== process.cwd()) process.chdir(cwd);

// `bonsai lint FILE | head -1`: the reader went away. Nothing left to say to it, and it is no failure.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.OK);
    throw err;
  });
}
// Whatever escapes a command (a stray callback, a rejected promise nobody awaited) is still one coded
// line, never a stack trace (BONSAI_DEBUG=1 shows it).
const crash = (err: unknown) => {
  try {
    process.stderr.write(internalErrorText(err, process.env) + '\n');
  } finally {
    process.exit(EXIT.INVALID);
  }
};
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

const code = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, cwd, env: process.env },
  verbs,
);
process.exitCode = code;
