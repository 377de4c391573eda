import { describe, expect, it } from 'vitest';
import { apiAsset, apiAssetList, DefinitionInputError, type ApiAssetInput } from './api-asset.js';

const SHA =
  '0c4ec7969b1b985aded99fb24137ed7b23febda6a3f5bd6bb8f3e0be0eeb5497710ea3c54bade4e90702825d5dd69ebde07983688086f518d18493fdc2632647';
const annotations = { 'io.sensu.bonsai.version': '0.1.0', 'io.sensu.bonsai.tags': '' };

const input: ApiAssetInput = {
  baseUrl: 'https://bonsai.example.com',
  namespace: 'acme',
  name: 'check-disk',
  description: 'Disk usage check',
  githubUrl: 'https://github.com/acme/check-disk',
  deprecated: false,
  versions: [
    {
      version: '0.1.0',
      annotations,
      builds: [
        {
          platform: 'linux',
          arch: 'amd64',
          filters: ["entity.system.os == 'linux'"],
          sha512: SHA,
          url: 'https://example.com/check-disk_0.1.0_linux_amd64.tar.gz',
          lastModified: new Date(Date.UTC(2024, 2, 5, 14, 7, 9, 120)),
        },
        {
          platform: 'any',
          arch: 'noarch',
          filters: [],
          sha512: SHA,
          url: 'https://example.com/check-disk_0.1.0.tar.gz',
          lastModified: new Date(Date.UTC(2024, 2, 5, 14, 7, 9)),
        },
      ],
    },
    { version: 'v0.2.0-rc.1', annotations, builds: [] },
  ],
};

describe('apiAsset', () => {
  it('serialises to the exact bytes of GET /api/v1/assets/:ns/:name', () => {
    const ann = '{"io.sensu.bonsai.version":"0.1.0","io.sensu.bonsai.tags":""}';
    const details = 'https://bonsai.example.com/api/v1/assets/acme/check-disk/0.1.0';
    expect(JSON.stringify(apiAsset(input))).toBe(
      '{"name":"acme/check-disk","description":"Disk usage check",' +
        '"url":"https://bonsai.example.com/api/v1/assets/acme/check-disk",' +
        '"github_url":"https://github.com/acme/check-disk",' +
        '"download_url":"https://bonsai.example.com/assets/acme/check-disk/download",' +
        '"deprecated":false,"versions":[{"version":"0.1.0","assets":[' +
        `{"platform":"linux","arch":"amd64","filter":["entity.system.os == 'linux'"],"annotations":${ann},` +
        `"asset_sha":"${SHA}","asset_url":"https://example.com/check-disk_0.1.0_linux_amd64.tar.gz",` +
        `"last_modified":"2024-03-05T14:07:09.120Z","details_url":"${details}/linux/amd64/release_asset"},` +
        `{"platform":"any","arch":"noarch","filter":[],"annotations":${ann},` +
        `"asset_sha":"${SHA}","asset_url":"https://example.com/check-disk_0.1.0.tar.gz",` +
        `"last_modified":"2024-03-05T14:07:09.000Z","details_url":"${details}/any/noarch/release_asset"}]},` +
        '{"version":"v0.2.0-rc.1","assets":[]}]}',
    );
  });

  it('never puts a null inside versions, and writes an empty description when there is none', () => {
    const asset = apiAsset({ ...input, description: undefined, deprecated: true });
    expect(asset.description).toBe('');
    expect(asset.deprecated).toBe(true);
    expect(JSON.stringify(asset.versions)).not.toContain('null');
  });

  it('refuses an invalid last-modified date with a coded error naming the build', () => {
    const broken: ApiAssetInput = {
      ...input,
      versions: [
        {
          version: '0.1.0',
          annotations,
          builds: [{ ...input.versions[0]!.builds[0]!, lastModified: new Date('not a date') }],
        },
      ],
    };
    expect(() => apiAsset(broken)).toThrow(DefinitionInputError);
    expect(() => apiAsset(broken)).toThrow(
      'acme/check-disk 0.1.0 linux/amd64: last_modified must be a valid Date, got Invalid Date',
    );
    try {
      apiAsset(broken);
    } catch (e) {
      expect((e as DefinitionInputError).code).toBe('DEFINITION_INPUT_INVALID');
    }
  });
});

describe('apiAssetList', () => {
  const asset = apiAsset({ ...input, versions: [] });
  const item =
    '{"name":"acme/check-disk","description":"Disk usage check",' +
    '"url":"https://bonsai.example.com/api/v1/assets/acme/check-disk",' +
    '"github_url":"https://github.com/acme/check-disk",' +
    '"download_url":"https://bonsai.example.com/assets/acme/check-disk/download","deprecated":false,"versions":[]}';

  it('writes start, total, next and the assets in that order', () => {
    const next = 'https://bonsai.example.com/api/v1/assets?start=1&items=1';
    expect(JSON.stringify(apiAssetList({ start: 0, total: 2, next, assets: [asset] }))).toBe(
      `{"start":0,"total":2,"next":"${next}","assets":[${item}]}`,
    );
  });

  it('leaves next out on the last page', () => {
    expect(JSON.stringify(apiAssetList({ start: 1, total: 2, assets: [asset] }))).toBe(
      `{"start":1,"total":2,"assets":[${item}]}`,
    );
  });
});
