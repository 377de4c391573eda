import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bonsai } from '../cli/run-cli.js';

// The verbs that only list what the registry holds read it as `status` does: they never create or
// migrate a database, so a mistyped DATA_DIR is reported instead of filled with an empty registry.
describe('read-only registry verbs', () => {
  it.each([[['audit']], [['token', 'list']], [['key', 'list']]])(
    'bonsai registry %j on a folder with no registry refuses and creates nothing',
    async (verb) => {
      const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'bonsai-read-only-')), 'data');
      const run = await bonsai(['registry', ...verb], { env: { DATA_DIR: dataDir } });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('error [DATABASE_NOT_FOUND]');
      expect(run.stderr).toContain(dataDir);
      expect(existsSync(dataDir) ? readdirSync(dataDir) : []).toEqual([]);
    },
  );
});
