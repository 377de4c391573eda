import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestVersion, validateAsset, type AssetResource } from '../../bonsai-schema/index.js';
import { assetCacheGroup } from '../../registry/cache/names.js';
import { bonsai } from '../cli/run-cli.js';
import { bonsaiYml, publish, type BuildSpec, type Published } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';

/**
 * The read API byte for byte (COMPAT §5): bodies are compared as strings against literals written here
 * in the documented key order, from releases ingested from the GitHub emulator.
 */

const LINUX: BuildSpec = { platform: 'linux', arch: 'amd64', filters: ["entity.system.os == 'linux'"] };
const ARM: BuildSpec = {
  platform: 'linux',
  arch: 'armv7',
  filters: ["entity.system.arch == 'arm'", 'entity.system.arm_version == 7'],
};
const YML = bonsaiYml(
  [LINUX, ARM],
  ['annotations:', '  io.sensu.bonsai.categories: "Handlers"', '  suggested_asset_url: "/hello"', ''].join(
    '\n',
  ),
);

let h: Harness;
let base: string;
let web: string;
const releases: Record<string, Published> = {};
const ingestedAt: Record<string, string> = {};

beforeAll(async () => {
  h = await startHarness();
  base = h.registry.runtime.urls.publicUrl;
  web = h.gh.webUrl;
  h.gh.state.createRepo('sensu/sensu-slack-handler', { description: 'Sends Slack alerts' });
  releases['0.9.0'] = await publish(h.gh, 'sensu/sensu-slack-handler', '0.9.0', {
    yml: YML,
    builds: [LINUX, ARM],
  });
  releases['1.0.0'] = await publish(h.gh, 'sensu/sensu-slack-handler', '1.0.0', {
    yml: YML,
    builds: [LINUX, ARM],
  });
  releases['1.1.0-rc.1'] = await publish(h.gh, 'sensu/sensu-slack-handler', '1.1.0-rc.1', {
    yml: YML,
    builds: [LINUX, ARM],
    prerelease: true,
  });
  await h.addRepo('sensu/sensu-slack-handler', { tier: 'Supported', tags: ['slack', 'handler'] });
  const status = (await h.get('/api/v1/assets/sensu/sensu-slack-handler/status')).json() as {
    versions: { version: string; ingested_at: string }[];
  };
  for (const v of status.versions) ingestedAt[v.version] = v.ingested_at;
  h.gh.state.createRepo('acme/check-zero');
  await h.addRepo('acme/check-zero');
});
afterAll(() => h?.close());

function annotations(version: string) {
  return {
    'io.sensu.bonsai.url': `${base}/assets/sensu/sensu-slack-handler`,
    'io.sensu.bonsai.api_url': `${base}/api/v1/assets/sensu/sensu-slack-handler`,
    'io.sensu.bonsai.tier': 'Supported',
    'io.sensu.bonsai.version': version,
    'io.sensu.bonsai.namespace': 'sensu',
    'io.sensu.bonsai.name': 'sensu-slack-handler',
    'io.sensu.bonsai.tags': 'slack, handler',
    'io.sensu.bonsai.categories': 'Handlers',
    'io.sensu.bonsai.suggested_asset_url': '/hello',
  };
}

function file(version: string, build: BuildSpec) {
  const name = `sensu-slack-handler_${version}_${build.platform}_${build.arch}.tar.gz`;
  const published = releases[version]!.files[name]!;
  expect(published.url).toBe(`${web}/sensu/sensu-slack-handler/releases/download/${version}/${name}`);
  return published;
}

function apiBuild(version: string, build: BuildSpec) {
  return {
    platform: build.platform,
    arch: build.arch,
    filter: build.filters,
    annotations: annotations(version),
    asset_sha: file(version, build).sha512,
    asset_url: file(version, build).url,
    last_modified: ingestedAt[version],
    details_url: `${base}/api/v1/assets/sensu/sensu-slack-handler/${version}/${build.platform}/${build.arch}/release_asset`,
  };
}

function assetObject() {
  return {
    name: 'sensu/sensu-slack-handler',
    description: 'Sends Slack alerts',
    url: `${base}/api/v1/assets/sensu/sensu-slack-handler`,
    github_url: `${web}/sensu/sensu-slack-handler`,
    download_url: `${base}/assets/sensu/sensu-slack-handler/download`,
    deprecated: false,
    versions: ['0.9.0', '1.0.0', '1.1.0-rc.1'].map((version) => ({
      version,
      assets: [apiBuild(version, LINUX), apiBuild(version, ARM)],
    })),
  };
}

function metadata(name: string, version: string) {
  return { name, labels: null, annotations: annotations(version) };
}

function multiBuild(version: string) {
  return {
    type: 'Asset',
    api_version: 'core/v2',
    metadata: metadata('sensu-slack-handler', version),
    spec: {
      builds: [LINUX, ARM].map((b) => ({
        url: file(version, b).url,
        sha512: file(version, b).sha512,
        filters: b.filters,
      })),
      metadata: metadata('sensu-slack-handler', version),
    },
  };
}

function singleBuild(version: string, b: BuildSpec) {
  const name = `sensu-slack-handler_${b.platform}_${b.arch}`;
  return {
    type: 'Asset',
    api_version: 'core/v2',
    metadata: metadata(name, version),
    spec: { url: file(version, b).url, sha512: file(version, b).sha512, filters: b.filters },
  };
}

const NOT_FOUND = '{"error_messages":["Resource does not exist."],"error_code":"NOT_FOUND"}';

describe('GET /api/v1/assets/:ns/:name', () => {
  it('is the asset object, key for key, versions in go-version order', async () => {
    const res = await h.get('/api/v1/assets/sensu/sensu-slack-handler', { accept: 'application/json' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.text).toBe(JSON.stringify(assetObject()));
  });

  it('answers any case of the name', async () => {
    const res = await h.get('/api/v1/assets/Sensu/Sensu-Slack-Handler');
    expect(res.text).toBe(JSON.stringify(assetObject()));
  });

  it('lists an asset without releases with an empty version list, never null', async () => {
    const res = await h.get('/api/v1/assets/acme/check-zero');
    expect(res.text).toBe(
      JSON.stringify({
        name: 'acme/check-zero',
        description: '',
        url: `${base}/api/v1/assets/acme/check-zero`,
        github_url: `${web}/acme/check-zero`,
        download_url: `${base}/assets/acme/check-zero/download`,
        deprecated: false,
        versions: [],
      }),
    );
  });

  it("is Bonsai's 404 for an unknown asset", async () => {
    const res = await h.get('/api/v1/assets/sensu/nope');
    expect(res.status).toBe(404);
    expect(res.text).toBe(NOT_FOUND);
  });
});

describe('definitions', () => {
  it('release_asset_builds is the multi-build definition in bonsai.yml order', async () => {
    const res = await h.get('/api/v1/assets/sensu/sensu-slack-handler/1.0.0/release_asset_builds');
    expect(res.status).toBe(200);
    expect(res.text).toBe(JSON.stringify(multiBuild('1.0.0')));
  });

  it.each([
    ['v1.0.0', '1.0.0'],
    ['latest', '1.0.0'],
    ['v1.1.0-rc.1', '1.1.0-rc.1'],
  ])('answers %s with the registry spelling %s', async (asked, served) => {
    const res = await h.get(`/api/v1/assets/sensu/sensu-slack-handler/${asked}/release_asset_builds`);
    expect(res.status).toBe(200);
    expect(res.text).toBe(JSON.stringify(multiBuild(served)));
  });

  it('release_asset is the single-build form', async () => {
    const res = await h.get('/api/v1/assets/sensu/sensu-slack-handler/0.9.0/linux/armv7/release_asset');
    expect(res.status).toBe(200);
    expect(res.text).toBe(JSON.stringify(singleBuild('0.9.0', ARM)));
  });

  it("download is that definition as Bonsai's YAML attachment", async () => {
    const res = await h.get('/release_assets/sensu/sensu-slack-handler/v1.0.0/linux/amd64/download');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/yaml; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      'attachment; filename="sensu-sensu-slack-handler-1.0.0-linux-amd64.yml"',
    );
    const a = annotations('1.0.0');
    const f = file('1.0.0', LINUX);
    const meta = [
      '  name: sensu-slack-handler_linux_amd64',
      '  labels: null',
      '  annotations:',
      ...Object.entries(a).map(([k, v]) => `    ${k}: ${v}`),
    ];
    expect(res.text).toBe(
      [
        '---',
        'type: Asset',
        'api_version: core/v2',
        'metadata:',
        ...meta,
        'spec:',
        `  url: ${f.url}`,
        `  sha512: ${f.sha512}`,
        '  filters:',
        `    - entity.system.os == 'linux'`,
        '',
      ].join('\n'),
    );
  });

  it.each([
    '/api/v1/assets/sensu/sensu-slack-handler/2.0.0/release_asset_builds',
    '/api/v1/assets/sensu/sensu-slack-handler/not-a-version/release_asset_builds',
    '/api/v1/assets/sensu/sensu-slack-handler/1.0.0/darwin/amd64/release_asset',
    '/release_assets/sensu/sensu-slack-handler/1.0.0/linux/arm64/download',
    '/api/v1/assets/sensu/nope/1.0.0/release_asset_builds',
    '/api/v2/anything',
  ])("%s is Bonsai's 404", async (path) => {
    const res = await h.get(path);
    expect(res.status).toBe(404);
    expect(res.text).toBe(NOT_FOUND);
  });
});

describe('conditional requests', () => {
  it('carries a strong ETag and Cache-Control, and answers 304 to If-None-Match', async () => {
    const path = '/api/v1/assets/sensu/sensu-slack-handler/1.0.0/release_asset_builds';
    const first = await h.get(path);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=60');
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await h.get(path, { 'if-none-match': header });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');
      expect(again.headers.get('etag')).toBe(etag);
    }
    expect((await h.get(path, { 'if-none-match': '"stale"' })).status).toBe(200);
    // The same definition under another spelling is the same representation.
    expect((await h.get(path.replace('1.0.0', 'v1.0.0'))).headers.get('etag')).toBe(etag);
  });
});

describe('cached reads', () => {
  const comparable = (headers: Headers) =>
    [...headers.entries()].filter(([k]) => k !== 'date' && k !== 'x-request-id').sort();

  it.each([
    '/api/v1/assets/sensu/sensu-slack-handler/v1.1.0-rc.1/linux/armv7/release_asset',
    '/api/v1/assets/%73ensu/sensu-slack-handler/v1.1.0-rc.1/release_asset_builds?x=1',
    '/api/v1/assets/acme/check-zero',
  ])('answer %s from the cache exactly as the first, uncached read', async (path) => {
    await h.registry.runtime.cache.del(
      assetCacheGroup(
        path.includes('acme') ? 'acme' : 'sensu',
        path.includes('acme') ? 'check-zero' : 'sensu-slack-handler',
      ),
    );
    const hitsBefore = h.registry.runtime.cache.stats().hits;
    const first = await h.get(path);
    const second = await h.get(path, { 'x-request-id': 'second-read' });
    expect(h.registry.runtime.cache.stats().hits).toBeGreaterThan(hitsBefore);
    expect(second.status).toBe(first.status);
    expect(second.text).toBe(first.text);
    expect(comparable(second.headers)).toEqual(comparable(first.headers));
    expect(second.headers.get('x-request-id')).toBe('second-read');
    const notModified = await h.get(path, { 'if-none-match': first.headers.get('etag')! });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(notModified.headers.get('cache-control')).toBe('public, max-age=60');
  });
});

describe('GET /api/v1/assets', () => {
  beforeAll(async () => {
    for (const name of ['check-a', 'check-b', 'check-c']) {
      h.gh.state.createRepo(`list/${name}`, { description: name === 'check-b' ? 'Checks disks' : '' });
      await h.addRepo(`list/${name}`);
    }
  });

  function entry(name: string, description = '') {
    return {
      name: `list/${name}`,
      description,
      url: `${base}/api/v1/assets/list/${name}`,
      github_url: `${web}/list/${name}`,
      download_url: `${base}/assets/list/${name}/download`,
      deprecated: false,
      versions: [],
    };
  }

  it('pages with start, total and next, keeping every filter in next', async () => {
    const res = await h.get('/api/v1/assets?namespace=list&items=2&order=name');
    expect(res.status).toBe(200);
    expect(res.text).toBe(
      JSON.stringify({
        start: 0,
        total: 3,
        next: `${base}/api/v1/assets?items=2&namespace=list&order=name&start=2`,
        assets: [entry('check-a'), entry('check-b', 'Checks disks')],
      }),
    );
    const last = await h.get('/api/v1/assets?items=2&namespace=list&order=name&start=2');
    expect(last.text).toBe(JSON.stringify({ start: 2, total: 3, assets: [entry('check-c')] }));
  });

  it('searches with q, and next keeps q', async () => {
    const res = await h.get('/api/v1/assets?q=disks&items=1');
    expect(res.text).toBe(JSON.stringify({ start: 0, total: 1, assets: [entry('check-b', 'Checks disks')] }));
    const page = (await h.get('/api/v1/assets?q=check&items=1')).json() as { total: number; next: string };
    expect(page.total).toBe(4);
    expect(page.next).toBe(`${base}/api/v1/assets?items=1&q=check&start=1`);
  });

  it('caps items at 100 and defaults to 10', async () => {
    const all = (await h.get('/api/v1/assets')).json() as { total: number; assets: unknown[] };
    expect(all.assets).toHaveLength(Math.min(all.total, 10));
    const capped = (await h.get('/api/v1/assets?items=1000&start=0')).json() as { assets: unknown[] };
    expect(capped.assets).toHaveLength(all.total);
  });

  it.each([
    ['start=-1', 'start: -1 and items: not provided'],
    ['items=ten', 'start: not provided and items: ten'],
    ['start=1.5&items=2', 'start: 1.5 and items: 2'],
    ['items=0', 'start: not provided and items: 0'],
    ['items=-5', 'start: not provided and items: -5'],
  ])('refuses %s with INVALID_DATA, in Bonsai words, and the accepted values', async (query, detail) => {
    const res = await h.get(`/api/v1/assets?${query}`);
    expect(res.status).toBe(400);
    expect(res.text).toBe(
      JSON.stringify({
        error_code: 'INVALID_DATA',
        error_messages: [
          `Start and item parameters must be positive numbers but they are ${detail}.`,
          'start is a whole number from 0 (default 0); items a whole number from 1 (default 10, at most 100 are listed)',
        ],
      }),
    );
  });

  it('accepts start=0 and the orders Bonsai knows, and refuses any other order with the accepted values', async () => {
    expect((await h.get('/api/v1/assets?start=0&items=1')).status).toBe(200);
    for (const order of ['name', 'recently_updated', 'recently_added', 'most_downloaded', 'most_followed'])
      expect((await h.get(`/api/v1/assets?order=${order}`)).status, order).toBe(200);
    const res = await h.get('/api/v1/assets?order=bogus');
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({
      error_code: 'INVALID_DATA',
      error_messages: [
        'order "bogus" is not an order of the asset list',
        'order is one of name, recently_updated, recently_added, most_downloaded, most_followed (default name)',
      ],
    });
  });
});

describe("sensuctl's two requests (COMPAT §6)", () => {
  it('resolve the latest version and fetch one definition sensuctl accepts', async () => {
    const headers = { accept: 'application/json' };
    // 1. {base}/{ns}/{name}: sensuctl reads only versions[].version and takes the highest, pre-releases included.
    const asset = await h.get('/api/v1/assets/sensu/sensu-slack-handler', headers);
    expect(asset.status).toBeLessThan(400);
    const versions = (asset.json() as { versions: { version: string }[] }).versions.map((v) => v.version);
    const latest = latestVersion(versions)!;
    expect(latest).toBe('1.1.0-rc.1');
    // 2. {base}/{ns}/{name}/{version}/release_asset_builds, with the registry's spelling.
    const def = await h.get(
      `/api/v1/assets/sensu/sensu-slack-handler/${latest}/release_asset_builds`,
      headers,
    );
    expect(def.status).toBe(200);
    const body = def.json() as AssetResource & { metadata: { namespace?: string } };
    expect(Array.isArray(body)).toBe(false);
    expect(body.metadata.namespace).toBeUndefined();
    for (const build of body.spec.builds ?? [])
      expect(Object.keys(build)).toEqual(['url', 'sha512', 'filters']);
    expect(validateAsset(body)).toEqual([]);
  });

  it('work for `bonsai add`, which resolves versions exactly as sensuctl does', async () => {
    const run = await bonsai(['add', 'sensu/sensu-slack-handler', '--registry', base, '--format', 'json'], {
      env: {},
    });
    expect(run.stderr).toContain('no version specified, using latest: 1.1.0-rc.1');
    expect(run.code).toBe(0);
    const def = JSON.parse(run.stdout) as AssetResource;
    expect(def.metadata.name).toBe('sensu/sensu-slack-handler');
    expect(def.spec.builds?.map((b) => b.sha512)).toEqual([
      file('1.1.0-rc.1', LINUX).sha512,
      file('1.1.0-rc.1', ARM).sha512,
    ]);
  });
});

describe('GET /api/v1/assets/:ns/:name/status', () => {
  it("lists each version's state", async () => {
    const status = (await h.get('/api/v1/assets/sensu/sensu-slack-handler/status')).json() as {
      versions: { version: string; state: string; commit: string; errors: unknown[] }[];
    };
    expect(status.versions.map((v) => [v.version, v.state, v.commit, v.errors])).toEqual([
      ['0.9.0', 'served', releases['0.9.0']!.commit, []],
      ['1.0.0', 'served', releases['1.0.0']!.commit, []],
      ['1.1.0-rc.1', 'served', releases['1.1.0-rc.1']!.commit, []],
    ]);
  });
});
