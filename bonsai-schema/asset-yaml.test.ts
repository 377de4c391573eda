import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { toDefinitionYaml } from './asset-yaml.js';
import { singleBuildDefinition } from './definitions.js';

describe('toDefinitionYaml', () => {
  it('renders a multi-megabyte annotation without overflowing the stack (as flow YAML)', () => {
    const definition = singleBuildDefinition({
      name: 'x',
      annotations: { 'io.sensu.bonsai.notes': 'x'.repeat(2_500_000) },
      build: {
        platform: 'linux',
        arch: 'amd64',
        url: 'https://e.example/x.tar.gz',
        sha512: 'a'.repeat(128),
        filters: [],
      },
    });
    const yaml = toDefinitionYaml(definition);
    expect(yaml.startsWith('---\n')).toBe(true);
    expect(load(yaml)).toEqual(JSON.parse(JSON.stringify(definition)));
  });
});
