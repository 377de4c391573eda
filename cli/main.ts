#!/usr/bin/env node
import { runCli } from './program.js';
import { verbs } from './verbs.js';

const code = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env },
  verbs,
);
process.exitCode = code;
