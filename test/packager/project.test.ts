import { describe, expect, it } from 'vitest';
import { bonsai } from '../cli/run-cli.js';

describe('a project folder that does not exist', () => {
  it.each(['pack', 'check'])('bonsai %s names it and exits 2 (PROJECT_NOT_FOUND)', async (verb) => {
    const run = await bonsai([verb, 'no/such/project', '--version', '1.0.0', '--repo', 'x'], { cwd: '/tmp' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error [PROJECT_NOT_FOUND]: no/such/project: no such project folder');
    expect(run.stderr).toContain('hint: run it in the asset project, or give its folder');
  });
});
