// `node --import ./record-imports.mjs ...`: appends every module URL the process resolves to the file
// named by IMPORT_LOG, so a test can see what a verb loads.
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url, { data: { log: process.env.IMPORT_LOG } });
