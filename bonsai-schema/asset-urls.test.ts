import { describe, expect, it } from 'vitest';
import {
  assetApiUrl,
  assetDownloadUrl,
  assetPageUrl,
  definitionDownloadFileName,
  pathSegment,
  releaseAssetBuildsUrl,
  releaseAssetUrl,
} from './asset-urls.js';

describe('registry URLs', () => {
  const ref = { namespace: 'sensu', name: 'check-cpu' };
  const b = 'https://bonsai.example.com/registry/';

  it('lays out every URL as Bonsai does', () => {
    expect(assetPageUrl(b, ref)).toBe('https://bonsai.example.com/registry/assets/sensu/check-cpu');
    expect(assetApiUrl(b, ref)).toBe('https://bonsai.example.com/registry/api/v1/assets/sensu/check-cpu');
    expect(assetDownloadUrl(b, ref)).toBe(
      'https://bonsai.example.com/registry/assets/sensu/check-cpu/download',
    );
    expect(releaseAssetBuildsUrl(b, ref, '0.2.2')).toBe(
      'https://bonsai.example.com/registry/api/v1/assets/sensu/check-cpu/0.2.2/release_asset_builds',
    );
    expect(releaseAssetUrl(b, ref, '0.2.2', 'OSX', 'amd64')).toBe(
      'https://bonsai.example.com/registry/api/v1/assets/sensu/check-cpu/0.2.2/OSX/amd64/release_asset',
    );
    expect(definitionDownloadFileName(ref, '0.2.2', 'linux', 'armv7')).toBe(
      'sensu-check-cpu-0.2.2-linux-armv7.yml',
    );
  });

  it.each([
    ['1.2.3', '1.2.3'],
    ['1.0.0+build.5', '1.0.0+build.5'],
    ['1.0.0-rc.1', '1.0.0-rc.1'],
    ['a b', 'a%20b'],
    ['x/y', 'x%2Fy'],
    ['50%', '50%25'],
    ['q?x#y', 'q%3Fx%23y'],
    ['é', '%C3%A9'],
  ])('escapes the path segment %j as %j', (raw, escaped) => {
    expect(pathSegment(raw)).toBe(escaped);
  });
});
