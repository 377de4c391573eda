import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PACKAGER_ERRORS } from '../../packager/errors.js';
import { REGISTRY_ERROR_CODES } from '../../registry/errors.js';

/** Every error code of both tables is documented in the README, with the exit code (and status) it has. */

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The rows `| `CODE` | cell | ... |` of one `### heading` of the Error reference, by code. */
function rows(heading: string): Map<string, string[]> {
  const section = /\n## Error reference\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
  const part = section.split('\n### ').find((p) => p.startsWith(heading)) ?? '';
  const found = new Map<string, string[]>();
  for (const line of part.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const code = /^`([A-Z_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (code) found.set(code, cells.slice(2, -1));
  }
  return found;
}

describe('README: Error reference', () => {
  it('lists every packager code with its exit code', () => {
    const documented = rows('Packaging verbs');
    for (const [code, exitCode] of Object.entries(PACKAGER_ERRORS)) {
      expect(documented.get(code)?.[0], code).toBe(String(exitCode));
      expect(documented.get(code)?.[1], code).toMatch(/\S.*\.$/);
    }
  });

  it('lists every registry code with its HTTP status and exit code', () => {
    const documented = rows('Registry');
    for (const [code, { status, exitCode }] of Object.entries(REGISTRY_ERROR_CODES)) {
      expect(documented.get(code)?.slice(0, 2), code).toEqual([String(status), String(exitCode)]);
      expect(documented.get(code)?.[2], code).toMatch(/\S.*\.$/);
    }
  });
});
