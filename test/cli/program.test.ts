import { describe, expect, it } from 'vitest';
import { bonsai } from './run-cli.js';

describe('bonsai CLI', () => {
  it('prints help and exits 0', async () => {
    const run = await bonsai(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: bonsai');
  });

  it('exits 2 on an unknown verb, naming it', async () => {
    const run = await bonsai(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'frobnicate'");
  });
});
