import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorsOf, parseBonsaiConfig, planRelease } from '../../bonsai-schema/index.js';
import { realBonsaiYmlDir } from '../shared-dir.js';

// Real bonsai.yml files from public plugins must load (COMPAT §1). They live outside the repository.
const folder = realBonsaiYmlDir();
const files = folder ? readdirSync(folder).filter((f) => f.endsWith('.yml')) : [];

describe('real bonsai.yml files from public plugins', () => {
  it('are present (the shared fixtures must be available under CI)', () => {
    if (process.env.CI === 'true') {
      expect(
        folder,
        'the shared folder is missing: clone beside ../shared or set BONSAI_SHARED_DIR',
      ).toBeDefined();
      expect(files.length).toBeGreaterThanOrEqual(6);
    }
  });

  it.runIf(files.length > 0).each(files)('%s loads without errors', (file) => {
    const text = readFileSync(path.join(folder!, file), 'utf8');
    const { config, diagnostics } = parseBonsaiConfig(text);
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(config?.builds.length).toBeGreaterThan(0);
    const plan = planRelease(config!, { repo: 'owner/plugin', tag: '1.0.0' });
    expect(plan.diagnostics).toEqual([]);
    for (const build of plan.builds) {
      expect(build.assetFilename).not.toContain('#{');
      expect(build.shaFilename).not.toContain('#{');
    }
  });

  it.runIf(files.includes('sensu-slack-handler.bonsai.yml'))(
    'sensu-slack-handler: the arch == armv7 filter is flagged as never matching',
    () => {
      const text = readFileSync(path.join(folder!, 'sensu-slack-handler.bonsai.yml'), 'utf8');
      const warnings = parseBonsaiConfig(text).diagnostics.map((d) => `${d.code} ${d.line}`);
      expect(warnings).toEqual(['FILTER_NEVER_MATCHES 34']);
    },
  );

  it.runIf(files.includes('check-plugin-template.bonsai.yml'))(
    'check-plugin-template: indented by two spaces, seven builds, correct arm filters, no warnings',
    () => {
      const text = readFileSync(path.join(folder!, 'check-plugin-template.bonsai.yml'), 'utf8');
      const { config, diagnostics } = parseBonsaiConfig(text);
      expect(diagnostics).toEqual([]);
      expect(config?.builds.map((b) => `${b.platform}/${b.arch}`)).toEqual([
        'linux/amd64',
        'linux/386',
        'linux/arm64',
        'linux/armv7',
        'linux/armv6',
        'OSX/amd64',
        'Windows/amd64',
      ]);
    },
  );

  it('nagiosfoundation (a copy in test/conformance/fixtures): windows/amd64 twice loads, the last build kept, with a warning', () => {
    const text = readFileSync(path.join(import.meta.dirname, 'fixtures/nagiosfoundation.bonsai.yml'), 'utf8');
    const { config, diagnostics } = parseBonsaiConfig(text);
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}`)).toEqual([
      'warning BUILD_DUPLICATE_PLATFORM_ARCH 28',
    ]);
    expect(config?.builds.map((b) => `#${b.number} ${b.platform}/${b.arch} ${b.assetFilename}`)).toEqual([
      '#1 linux/amd64 #{repo}-linux-amd64-#{version}.tgz',
      '#2 linux/386 #{repo}-linux-386-#{version}.tgz',
      '#4 Windows/amd64 #{repo}-windows-386-#{version}.tgz',
    ]);
  });
});
