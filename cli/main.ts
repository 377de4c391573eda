#!/usr/bin/env node
import { runCli } from './program.js';
import { userFolder } from './user-folder.js';
import { verbs } from './verbs.js';

const cwd = userFolder(process.env, process.cwd());
// Relative paths and default data folders are the user's, also for code that reads process.cwd().
if (cwd !== process.cwd()) process.chdir(cwd);
const code = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, cwd, env: process.env },
  verbs,
);
process.exitCode = code;
