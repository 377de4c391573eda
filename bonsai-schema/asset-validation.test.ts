import { describe, expect, it } from 'vitest';
import { bonsaiAnnotations } from './annotations.js';
import type { AssetResource } from './asset-types.js';
import { validateAsset, validateAssetName } from './asset-validation.js';
import { multiBuildDefinition, singleBuildDefinition } from './definitions.js';

const SHA =
  'a2535e2be6a89041f4c67b9a66446cafe11545edee86f5ae13c8ab874c6a28b93e4ccf5c33f0c392cf189807b2174163a4b5e2de4834c903fa873d6a03651429';
const build = {
  platform: 'linux',
  arch: 'amd64',
  url: 'https://example.com/check_1.0.0_linux_amd64.tar.gz',
  sha512: SHA,
  filters: ["entity.system.os == 'linux'"],
};
const annotations = bonsaiAnnotations({
  baseUrl: 'https://bonsai.example.com',
  namespace: 'acme',
  name: 'check',
  version: '1.0.0',
});

function asset(
  spec: AssetResource['spec'],
  metadata: AssetResource['metadata'] = { name: 'check' },
): AssetResource {
  return { type: 'Asset', api_version: 'core/v2', metadata, spec };
}

const summary = (r: AssetResource, namespace?: string) =>
  validateAsset(r, namespace === undefined ? {} : { namespace }).map((d) => [d.code, d.severity, d.message]);

describe('validateAsset', () => {
  it('accepts the definitions the registry builds, in the namespace sensuctl creates them in', () => {
    const multi = multiBuildDefinition({
      name: 'check',
      annotations,
      builds: [build, { ...build, arch: 'arm64' }],
    });
    const single = singleBuildDefinition({ name: 'check', annotations, build });
    expect(validateAsset(multi, { namespace: 'default' })).toEqual([]);
    expect(validateAsset(single, { namespace: 'default' })).toEqual([]);
  });

  it.each([['sensu/sensu-slack-handler'], ['check_cpu.v2'], ['ns:name'], ['Check-CPU']])(
    'accepts the name %j',
    (name) => {
      expect(validateAssetName(name)).toEqual([]);
    },
  );

  it.each([
    ['', 'name cannot be empty'],
    [
      'check cpu',
      'name may only contain letters, forward slashes, underscores, dashes and numbers (name "check cpu")',
    ],
    [
      'chéck',
      'name may only contain letters, forward slashes, underscores, dashes and numbers (name "chéck")',
    ],
    ['a+b', 'name may only contain letters, forward slashes, underscores, dashes and numbers (name "a+b")'],
  ])('refuses the name %j', (name, message) => {
    expect(summary(asset({ builds: [build] }, { name }))).toEqual([['ASSET_INVALID_NAME', 'error', message]]);
  });

  it('refuses a single-build definition whose platform makes the name invalid', () => {
    const single = singleBuildDefinition({
      name: 'check',
      annotations,
      build: { ...build, platform: 'alpine 3.8' },
    });
    expect(summary(single)).toEqual([
      [
        'ASSET_INVALID_NAME',
        'error',
        'name may only contain letters, forward slashes, underscores, dashes and numbers (name "check_alpine 3.8_amd64")',
      ],
    ]);
  });

  it('refuses an empty target namespace, or an empty metadata.namespace', () => {
    expect(summary(asset({ builds: [build] }), '')).toEqual([
      ['ASSET_NAMESPACE_EMPTY', 'error', 'namespace cannot be empty'],
    ]);
    expect(summary(asset({ builds: [build] }, { name: 'check', namespace: '' }))).toEqual([
      ['ASSET_NAMESPACE_EMPTY', 'error', 'namespace cannot be empty'],
    ]);
    // The target namespace is what sensuctl uses, whatever the resource says.
    expect(summary(asset({ builds: [build] }, { name: 'check', namespace: '' }), 'default')).toEqual([]);
  });

  it.each([
    [{ ...build, sha512: '' }, 'ASSET_SHA512_INVALID', 'build #2: SHA-512 checksum cannot be empty'],
    [
      { ...build, sha512: SHA.slice(0, 127) },
      'ASSET_SHA512_INVALID',
      'build #2: SHA-512 checksum must be at least 128 characters (got 127)',
    ],
    [{ ...build, url: '' }, 'ASSET_URL_EMPTY', 'build #2: URL cannot be empty'],
    [
      { ...build, filters: ["entity.system.os == 'linux'", "entity.system.arch == 'amd64"] },
      'FILTER_SYNTAX',
      'build #2: syntax error in expression 1: (anonymous): Line 1:23 Unexpected token ILLEGAL',
    ],
  ])('refuses a bad build (%#)', (bad, code, message) => {
    expect(summary(asset({ builds: [build, bad] }))).toEqual([[code, 'error', message]]);
  });

  it('reports every problem, in sensu order', () => {
    const bad = { url: '', sha512: 'abc', filters: ['x =>', 'let y'] };
    expect(summary(asset({ builds: [bad] }, { name: '' }), '')).toEqual([
      ['ASSET_INVALID_NAME', 'error', 'name cannot be empty'],
      ['ASSET_NAMESPACE_EMPTY', 'error', 'namespace cannot be empty'],
      ['ASSET_SHA512_INVALID', 'error', 'build #1: SHA-512 checksum must be at least 128 characters (got 3)'],
      ['ASSET_URL_EMPTY', 'error', 'build #1: URL cannot be empty'],
      [
        'FILTER_SYNTAX',
        'error',
        'build #1: syntax error in expression 0: (anonymous): Line 1:4 Unexpected token >',
      ],
      [
        'FILTER_SYNTAX',
        'error',
        'build #1: syntax error in expression 1: (anonymous): Line 1:5 Unexpected identifier',
      ],
    ]);
  });

  it('checks the deprecated single-build spec the same way', () => {
    expect(summary(asset({ url: build.url, sha512: SHA, filters: build.filters }))).toEqual([]);
    expect(summary(asset({ url: build.url, sha512: SHA.slice(1), filters: ['('] }))).toEqual([
      ['ASSET_SHA512_INVALID', 'error', 'SHA-512 checksum must be at least 128 characters (got 127)'],
      [
        'FILTER_SYNTAX',
        'error',
        'syntax error in expression 0: (anonymous): Line 1:2 Unexpected end of input',
      ],
    ]);
  });

  it.each([[{}], [{ builds: [] }], [{ builds: null }]])(
    'refuses an asset with nothing to install: %j',
    (spec) => {
      expect(summary(asset(spec))).toEqual([
        [
          'ASSET_NO_BUILDS',
          'error',
          'SHA-512 checksum cannot be empty: the asset has no spec.builds and no top-level url and sha512',
        ],
      ]);
    },
  );
});
