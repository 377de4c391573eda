import { describe, expect, it } from 'vitest';
import { readmeOverride } from './readme.js';

const yml = (url: string) => `---\nbuilds: []\noverrides:\n- readme_url: ${JSON.stringify(url)}\n`;

describe('readmeOverride (bonsai.yml overrides[0].readme_url)', () => {
  it.each([
    ['https://github.com/acme/check/blob/main/docs/README.md', 'docs/README.md'],
    ['https://github.com/ACME/Check/raw/v1.0.0/README.full.md', 'README.full.md'],
    ['https://raw.githubusercontent.com/acme/check/main/docs/Read%20me.md', 'docs/Read me.md'],
    ['docs/usage.md', 'docs/usage.md'],
    ['./docs/usage.md', 'docs/usage.md'],
  ])('%s → %s', (url, path) => expect(readmeOverride(yml(url), 'acme', 'check')).toBe(path));

  it.each([
    ['another repository', 'https://github.com/evil/other/blob/main/README.md'],
    ['another host', 'https://example.com/README.md'],
    ['a file URL', 'file:///etc/passwd'],
    ['a path leaving the repository', 'docs/../../secret'],
    ['bad percent-encoding', 'docs/%E0%A4%A.md'],
  ])('refuses %s', (_, url) => expect(readmeOverride(yml(url), 'acme', 'check')).toBeUndefined());

  it('is absent without overrides, or when they are not a list of maps', () => {
    expect(readmeOverride('builds: []\n', 'acme', 'check')).toBeUndefined();
    expect(readmeOverride('overrides: 3\n', 'acme', 'check')).toBeUndefined();
    expect(readmeOverride('overrides:\n- readme_url: [1]\n', 'acme', 'check')).toBeUndefined();
  });
});
