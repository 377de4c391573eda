import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { bonsaiAnnotations } from './annotations.js';
import { toDefinitionJson, toDefinitionYaml } from './asset-yaml.js';
import { multiBuildDefinition, singleBuildDefinition, type DefinitionBuildInput } from './definitions.js';

const BASE = 'https://bonsai.example.com';
const COMMIT = 'a3cc2d3dd0374891367162339ba53d5f0074c09f';
const SHA_LINUX =
  '0c4ec7969b1b985aded99fb24137ed7b23febda6a3f5bd6bb8f3e0be0eeb5497710ea3c54bade4e90702825d5dd69ebde07983688086f518d18493fdc2632647';
const SHA_WINDOWS =
  'a2535e2be6a89041f4c67b9a66446cafe11545edee86f5ae13c8ab874c6a28b93e4ccf5c33f0c392cf189807b2174163a4b5e2de4834c903fa873d6a03651429';

const annotations = bonsaiAnnotations({
  baseUrl: BASE,
  namespace: 'sensu',
  name: 'sensu-slack-handler',
  version: '1.5.0',
  tags: ['handler', 'slack'],
  configAnnotations: { 'io.sensu.bonsai.suggested_command': 'sensu-slack-handler' },
});

const linux: DefinitionBuildInput = {
  platform: 'linux',
  arch: 'amd64',
  url: `https://assets.example.com/${COMMIT}/sensu-slack-handler_1.5.0_linux_amd64.tar.gz`,
  sha512: SHA_LINUX,
  filters: ["entity.system.os == 'linux'", "entity.system.arch == 'amd64'"],
};
const windows: DefinitionBuildInput = {
  platform: 'Windows',
  arch: 'amd64',
  url: `https://assets.example.com/${COMMIT}/sensu-slack-handler_1.5.0_windows_amd64.tar.gz`,
  sha512: SHA_WINDOWS,
  filters: ["entity.system.os == 'windows'", "entity.system.arch == 'amd64'"],
  headers: { Authorization: 'Bearer token' },
};

const ANNOTATIONS_JSON =
  '{"io.sensu.bonsai.url":"https://bonsai.example.com/assets/sensu/sensu-slack-handler",' +
  '"io.sensu.bonsai.api_url":"https://bonsai.example.com/api/v1/assets/sensu/sensu-slack-handler",' +
  '"io.sensu.bonsai.tier":"Community",' +
  '"io.sensu.bonsai.version":"1.5.0",' +
  '"io.sensu.bonsai.namespace":"sensu",' +
  '"io.sensu.bonsai.name":"sensu-slack-handler",' +
  '"io.sensu.bonsai.tags":"handler, slack",' +
  '"io.sensu.bonsai.suggested_command":"sensu-slack-handler"}';

describe('multiBuildDefinition', () => {
  const definition = multiBuildDefinition({
    name: 'sensu-slack-handler',
    annotations,
    builds: [linux, windows],
  });

  it('serialises to the exact bytes sensuctl receives', () => {
    const metadata = `{"name":"sensu-slack-handler","labels":null,"annotations":${ANNOTATIONS_JSON}}`;
    expect(toDefinitionJson(definition)).toBe(
      `{"type":"Asset","api_version":"core/v2","metadata":${metadata},"spec":{"builds":[` +
        `{"url":"${linux.url}","sha512":"${SHA_LINUX}",` +
        `"filters":["entity.system.os == 'linux'","entity.system.arch == 'amd64'"]},` +
        `{"url":"${windows.url}","sha512":"${SHA_WINDOWS}",` +
        `"filters":["entity.system.os == 'windows'","entity.system.arch == 'amd64'"],` +
        `"headers":{"Authorization":"Bearer token"}}` +
        `],"metadata":${metadata}}}`,
    );
  });

  it('keeps the builds in the order given (bonsai.yml order)', () => {
    const reversed = multiBuildDefinition({ name: 'x', annotations, builds: [windows, linux] });
    expect(reversed.spec.builds.map((b) => b.sha512)).toEqual([SHA_WINDOWS, SHA_LINUX]);
  });

  it('emits an empty filter list, never null, for a build without filters', () => {
    const noFilters = multiBuildDefinition({ name: 'x', annotations, builds: [{ ...linux, filters: [] }] });
    expect(toDefinitionJson(noFilters)).toContain(`"sha512":"${SHA_LINUX}","filters":[]}`);
  });

  it('leaves out headers when a build has none', () => {
    const emptyHeaders = multiBuildDefinition({
      name: 'x',
      annotations,
      builds: [{ ...linux, headers: {} }],
    });
    expect(Object.keys(emptyHeaders.spec.builds[0] ?? {})).toEqual(['url', 'sha512', 'filters']);
  });

  it('never carries a namespace', () => {
    expect(toDefinitionJson(definition)).not.toContain('"namespace":');
  });

  it('does not share objects with its input', () => {
    const filters = ["entity.system.os == 'linux'"];
    const built = multiBuildDefinition({ name: 'x', annotations, builds: [{ ...linux, filters }] });
    filters.push('changed');
    expect(built.spec.builds[0]?.filters).toEqual(["entity.system.os == 'linux'"]);
    expect(built.metadata.annotations).not.toBe(built.spec.metadata.annotations);
  });
});

describe('singleBuildDefinition', () => {
  it('serialises to the exact bytes of the release_asset endpoint', () => {
    const definition = singleBuildDefinition({ name: 'sensu-slack-handler', annotations, build: linux });
    const metadata = `{"name":"sensu-slack-handler_linux_amd64","labels":null,"annotations":${ANNOTATIONS_JSON}}`;
    expect(toDefinitionJson(definition)).toBe(
      `{"type":"Asset","api_version":"core/v2","metadata":${metadata},"spec":` +
        `{"url":"${linux.url}","sha512":"${SHA_LINUX}",` +
        `"filters":["entity.system.os == 'linux'","entity.system.arch == 'amd64'"]}}`,
    );
  });

  it('keeps the platform as written in the name and carries headers when present', () => {
    const definition = singleBuildDefinition({ name: 'sensu-slack-handler', annotations, build: windows });
    expect(definition.metadata.name).toBe('sensu-slack-handler_Windows_amd64');
    expect(Object.keys(definition.spec)).toEqual(['url', 'sha512', 'filters', 'headers']);
  });
});

describe('toDefinitionYaml', () => {
  const multi = multiBuildDefinition({ name: 'sensu-slack-handler', annotations, builds: [linux, windows] });
  const single = singleBuildDefinition({ name: 'sensu-slack-handler', annotations, build: linux });

  it.each([
    ['multi-build', multi],
    ['single-build', single],
  ])('round-trips the %s definition to the same object, in the same key order', (_, definition) => {
    const yaml = toDefinitionYaml(definition);
    expect(yaml.startsWith('---\n')).toBe(true);
    const loaded = load(yaml);
    expect(loaded).toEqual(definition);
    expect(JSON.stringify(loaded)).toBe(toDefinitionJson(definition));
  });

  it('writes the repeated metadata in full, without anchors or aliases', () => {
    expect(toDefinitionYaml(multi)).not.toMatch(/[&*]ref_/);
  });

  it('writes a document sensuctl reads as is', () => {
    const small = singleBuildDefinition({
      name: 'check-cpu',
      annotations: bonsaiAnnotations({ baseUrl: BASE, namespace: 'acme', name: 'check-cpu', version: '1.0' }),
      build: { ...linux, url: 'https://example.com/check-cpu_1.0_linux_amd64.tar.gz' },
    });
    const metadata = [
      '  name: check-cpu_linux_amd64',
      '  labels: null',
      '  annotations:',
      '    io.sensu.bonsai.url: https://bonsai.example.com/assets/acme/check-cpu',
      '    io.sensu.bonsai.api_url: https://bonsai.example.com/api/v1/assets/acme/check-cpu',
      '    io.sensu.bonsai.tier: Community',
      "    io.sensu.bonsai.version: '1.0'",
      '    io.sensu.bonsai.namespace: acme',
      '    io.sensu.bonsai.name: check-cpu',
      "    io.sensu.bonsai.tags: ''",
    ];
    expect(toDefinitionYaml(small)).toBe(
      [
        '---',
        'type: Asset',
        'api_version: core/v2',
        'metadata:',
        ...metadata,
        'spec:',
        '  url: https://example.com/check-cpu_1.0_linux_amd64.tar.gz',
        `  sha512: ${SHA_LINUX}`,
        '  filters:',
        "    - entity.system.os == 'linux'",
        "    - entity.system.arch == 'amd64'",
        '',
      ].join('\n'),
    );
  });
});
