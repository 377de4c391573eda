import { describe, expect, it } from 'vitest';
import { bonsaiAnnotations } from './annotations.js';

const base = {
  baseUrl: 'https://bonsai.example.com',
  namespace: 'sensu',
  name: 'check-cpu',
  version: 'v0.2.2',
};

describe('bonsaiAnnotations', () => {
  it('emits the seven registry annotations in Bonsai order, as strings, Community tier and "" tags by default', () => {
    expect(Object.entries(bonsaiAnnotations(base))).toEqual([
      ['io.sensu.bonsai.url', 'https://bonsai.example.com/assets/sensu/check-cpu'],
      ['io.sensu.bonsai.api_url', 'https://bonsai.example.com/api/v1/assets/sensu/check-cpu'],
      ['io.sensu.bonsai.tier', 'Community'],
      ['io.sensu.bonsai.version', 'v0.2.2'],
      ['io.sensu.bonsai.namespace', 'sensu'],
      ['io.sensu.bonsai.name', 'check-cpu'],
      ['io.sensu.bonsai.tags', ''],
    ]);
  });

  it.each([
    [[], ''],
    [['cpu'], 'cpu'],
    [['cpu', 'check', 'metrics'], 'cpu, check, metrics'],
  ])('joins tags %j as %j', (tags, joined) => {
    expect(bonsaiAnnotations({ ...base, tags })['io.sensu.bonsai.tags']).toBe(joined);
  });

  it('uses the given tier and ignores a trailing slash on the base URL', () => {
    const a = bonsaiAnnotations({ ...base, baseUrl: 'https://bonsai.example.com/', tier: 'Supported' });
    expect(a['io.sensu.bonsai.tier']).toBe('Supported');
    expect(a['io.sensu.bonsai.api_url']).toBe('https://bonsai.example.com/api/v1/assets/sensu/check-cpu');
  });

  it('lets bonsai.yml annotations win in place and appends the others in file order', () => {
    const a = bonsaiAnnotations({
      ...base,
      configAnnotations: {
        'io.sensu.bonsai.suggested_command': 'check-cpu',
        'io.sensu.bonsai.tier': 'Enterprise',
        'io.sensu.bonsai.suggested_asset_url': '/sensu/check-cpu',
      },
    });
    expect(Object.keys(a)).toEqual([
      'io.sensu.bonsai.url',
      'io.sensu.bonsai.api_url',
      'io.sensu.bonsai.tier',
      'io.sensu.bonsai.version',
      'io.sensu.bonsai.namespace',
      'io.sensu.bonsai.name',
      'io.sensu.bonsai.tags',
      'io.sensu.bonsai.suggested_command',
      'io.sensu.bonsai.suggested_asset_url',
    ]);
    expect(a['io.sensu.bonsai.tier']).toBe('Enterprise');
  });
});
