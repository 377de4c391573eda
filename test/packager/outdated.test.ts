import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:http';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bonsai } from '../cli/run-cli.js';
import { freePort } from '../registry/support/ports.js';
import { startRegistryStandIn, type StandIn } from './registry-stand-in.js';

/** `bonsai outdated` on exports of a Sensu backend, against a registry. */

let registry: StandIn;
let dir: string;

beforeAll(async () => {
  registry = await startRegistryStandIn([
    { namespace: 'acme', name: 'check-cpu', versions: ['0.9.0', '1.0.0', '1.1.0', '2.0.0', '2.1.0-rc.1'] },
    { namespace: 'acme', name: 'check-mem', versions: ['1.0.0', 'v2.0.0'] },
  ]);
  dir = await mkdtemp(path.join(tmpdir(), 'bonsai-outdated-'));
});
afterAll(async () => {
  await registry?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The metadata sensuctl keeps from a registry definition (the annotations Bonsai puts there). */
function metadata(name: string, origin: string, version: string, base = registry.url) {
  const [ns, repo] = origin.split('/');
  return {
    name,
    namespace: 'default',
    annotations: {
      'io.sensu.bonsai.url': `${base}/assets/${origin}`,
      'io.sensu.bonsai.api_url': `${base}/api/v1/assets/${origin}`,
      'io.sensu.bonsai.tier': 'Community',
      'io.sensu.bonsai.version': version,
      'io.sensu.bonsai.namespace': ns,
      'io.sensu.bonsai.name': repo,
      'io.sensu.bonsai.tags': '',
    },
  };
}

const BUILD = { url: 'https://example.com/a.tar.gz', sha512: 'ab'.repeat(64), filters: [] };
/** As `sensuctl asset list --format json` prints them: unwrapped, in one array. */
const listed = () => [
  { metadata: metadata('cpu', 'acme/check-cpu', '1.0.0'), builds: [BUILD] }, // renamed, same major behind
  { metadata: metadata('acme/check-cpu', 'acme/check-cpu', '0.9.0'), builds: [BUILD] }, // pinned to 0.x
  { metadata: metadata('acme/check-mem', 'acme/check-mem', '2.0.0'), builds: [BUILD] }, // up to date
  { metadata: { name: 'my-script', namespace: 'default' }, builds: [BUILD] }, // by hand: unknown
  { metadata: metadata('acme/gone', 'acme/gone', '1.0.0'), builds: [BUILD] }, // the registry lost it
];

const run = (args: string[], env: Record<string, string> = {}) =>
  bonsai(['outdated', ...args], { cwd: dir, env });

async function file(name: string, text: string): Promise<string> {
  await writeFile(path.join(dir, name), text);
  return name;
}

const EXPECTED = [
  {
    asset: 'cpu',
    namespace: 'default',
    source: 'acme/check-cpu',
    installed: '1.0.0',
    latest: '2.0.0',
    latest_same_major: '1.1.0',
    status: 'outdated',
  },
  {
    asset: 'acme/check-cpu',
    source: 'acme/check-cpu',
    installed: '0.9.0',
    latest: '2.0.0',
    latest_same_major: '0.9.0',
    status: 'outdated',
  },
  {
    asset: 'acme/check-mem',
    installed: '2.0.0',
    latest: 'v2.0.0',
    latest_same_major: 'v2.0.0',
    status: 'up-to-date',
  },
  {
    asset: 'my-script',
    source: null,
    installed: null,
    latest: null,
    registry: null,
    status: 'unknown-origin',
  },
  { asset: 'acme/gone', latest: null, status: 'not-in-registry' },
];

describe('bonsai outdated', () => {
  it('prints the table and exits 1 when an asset is outdated', async () => {
    const result = await run(['--from', await file('list.json', JSON.stringify(listed()))]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ASSET +INSTALLED +LATEST +LATEST SAME MAJOR +REGISTRY +STATUS$/);
    expect(lines[1]).toMatch(
      new RegExp(`^cpu \\(acme/check-cpu\\) +1\\.0\\.0 +2\\.0\\.0 +1\\.1\\.0 +${registry.url} +outdated$`),
    );
    expect(lines[2]).toMatch(/^acme\/check-cpu +0\.9\.0 +2\.0\.0 +0\.9\.0 .* outdated$/);
    expect(lines[3]).toMatch(/^acme\/check-mem +2\.0\.0 +v2\.0\.0 +v2\.0\.0 .* up to date$/);
    expect(lines[4]).toMatch(/^my-script +- +- +- +- +unknown: no io\.sensu\.bonsai annotations$/);
    expect(lines[5]).toMatch(/^acme\/gone +1\.0\.0 +- +- .* not in the registry$/);
    expect(result.stderr).toBe('2 outdated\n');
  });

  it('prints one JSON object with --json, and asks the registry once per asset', async () => {
    registry.requests.length = 0;
    const result = await run(['--from', await file('list.json', JSON.stringify(listed())), '--json']);
    expect(result.code).toBe(1);
    const body = JSON.parse(result.stdout);
    expect(body.outdated).toBe(2);
    expect(body.assets).toEqual(EXPECTED.map((row) => expect.objectContaining(row)));
    expect(body.assets[0].registry).toBe(registry.url);
    expect(registry.requests.map((r) => r.url).sort()).toEqual([
      '/api/v1/assets/acme/check-cpu',
      '/api/v1/assets/acme/check-mem',
      '/api/v1/assets/acme/gone',
    ]);
  });

  it('reads sensuctl dump files, as concatenated JSON or YAML documents, skipping other resources', async () => {
    const wrapped = listed().map(({ metadata, builds }) => ({
      type: 'Asset',
      api_version: 'core/v2',
      metadata,
      spec: { builds },
    }));
    const check = { type: 'CheckConfig', api_version: 'core/v2', metadata: { name: 'c' }, spec: {} };
    const json = [...wrapped, check].map((r) => JSON.stringify(r, null, 2)).join('\n');
    const yaml = [...wrapped, check].map((r) => '---\n' + dump(r)).join('');
    for (const [name, text] of [
      ['dump.json', json],
      ['dump.yml', yaml],
    ] as const) {
      const result = await run(['--from', await file(name, text), '--json']);
      expect(result.code, name).toBe(1);
      expect(JSON.parse(result.stdout).assets, name).toEqual(
        EXPECTED.map((row) => expect.objectContaining(row)),
      );
    }
  });

  it('exits 0 when nothing is outdated, unknown assets included', async () => {
    const result = await run(['--from', await file('fine.json', JSON.stringify([listed()[2], listed()[3]]))]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('every asset is up to date\n');
  });

  it('asks --registry instead of the annotated registry', async () => {
    const port = await freePort();
    const elsewhere = [{ metadata: metadata('cpu', 'acme/check-cpu', '2.0.0', `http://127.0.0.1:${port}`) }];
    const text = await file('elsewhere.json', JSON.stringify(elsewhere));
    const direct = await run(['--from', text]);
    expect(direct.code).toBe(3);
    expect(direct.stderr).toContain(
      `error [REGISTRY_UNREACHABLE]: cannot reach the registry at http://127.0.0.1:${port}`,
    );
    const redirected = await run(['--from', text, '--registry', registry.url, '--json']);
    expect(redirected.code).toBe(0);
    expect(JSON.parse(redirected.stdout).assets[0]).toMatchObject({
      status: 'up-to-date',
      registry: registry.url,
    });
  });
});

describe('bonsai outdated: bad input', () => {
  it('reports a missing export (exit 2)', async () => {
    const result = await run(['--from', 'missing.json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error [OUTDATED_EXPORT_UNREADABLE]: cannot read missing.json');
    expect(result.stderr).toContain('hint: write one with: sensuctl asset list --format json');
  });

  it.each([
    ['not-assets.json', '[1, 2]'],
    ['no-name.json', '[{"metadata": {}}]'],
    ['garbage.yml', 'key: [unclosed'],
  ])('reports an export that is not a list of assets: %s (exit 1)', async (name, text) => {
    const result = await run(['--from', await file(name, text), '--json']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error [OUTDATED_EXPORT_INVALID]: ${name} is not a list of Sensu assets`);
    expect(JSON.parse(result.stdout).error.code).toBe('OUTDATED_EXPORT_INVALID');
  });

  it('refuses a --registry that is not an http(s) URL (exit 2)', async () => {
    const result = await run(['--from', await file('list.json', '[]'), '--registry', 'ftp://x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error [REGISTRY_URL_INVALID]');
  });

  it('needs exactly one of --from and --sensu-url (exit 2)', async () => {
    for (const args of [[], ['--from', 'a.json', '--sensu-url', 'http://127.0.0.1:1']]) {
      const result = await run(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('give either --from FILE or --sensu-url URL');
    }
  });
});

describe('bonsai outdated --sensu-url', () => {
  let sensu: Server;
  let sensuUrl: string;
  const asked: string[] = [];

  beforeAll(async () => {
    // The backend's asset list: by namespace, paged with limit/continue, behind an API key.
    const pages: Record<string, unknown[][]> = {
      default: [listed().slice(0, 2), listed().slice(2, 3)],
      production: [listed().slice(3)],
    };
    sensu = createServer((req, res) => {
      asked.push(req.url ?? '');
      if (req.headers.authorization !== 'Key the-api-key') {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"unauthorized"}');
        return;
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const match = /^\/api\/core\/v2\/namespaces\/([^/]+)\/assets$/.exec(url.pathname);
      const namespace = pages[match?.[1] ?? ''];
      if (!namespace) {
        res.writeHead(404).end('{}');
        return;
      }
      const page = Number(url.searchParams.get('continue') || '0');
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (page + 1 < namespace.length) headers['sensu-continue'] = String(page + 1);
      res.writeHead(200, headers).end(JSON.stringify(namespace[page]));
    });
    await new Promise<void>((resolve) => sensu.listen(0, '127.0.0.1', resolve));
    const address = sensu.address() as { port: number };
    sensuUrl = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => new Promise<void>((resolve) => sensu.close(() => resolve())));

  it('reads every page of every namespace from the Sensu API with SENSU_API_KEY', async () => {
    asked.length = 0;
    const result = await run(
      ['--sensu-url', sensuUrl, '--sensu-namespace', 'default', '--sensu-namespace', 'production', '--json'],
      { SENSU_API_KEY: 'the-api-key' },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).assets).toEqual(EXPECTED.map((row) => expect.objectContaining(row)));
    expect(asked).toEqual([
      '/api/core/v2/namespaces/default/assets?limit=500',
      '/api/core/v2/namespaces/default/assets?limit=500&continue=1',
      '/api/core/v2/namespaces/production/assets?limit=500',
    ]);
  });

  it('needs credentials, and reports refused ones (exit 2)', async () => {
    const none = await run(['--sensu-url', sensuUrl]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('error [SENSU_API_FAILED]: no credentials for the Sensu API');
    const wrong = await run(['--sensu-url', sensuUrl], { SENSU_API_KEY: 'wrong' });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('error [SENSU_API_FAILED]: the Sensu API refused the credentials (401)');
  });

  it('reports an unknown namespace and an unreachable backend (exit 3)', async () => {
    const missing = await run(['--sensu-url', sensuUrl, '--sensu-namespace', 'nope'], {
      SENSU_API_KEY: 'the-api-key',
    });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('error [SENSU_API_FAILED]: the Sensu API answered 404');
    const port = await freePort();
    const down = await run(['--sensu-url', `http://127.0.0.1:${port}`], { SENSU_ACCESS_TOKEN: 't' });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain(
      `error [SENSU_API_FAILED]: cannot reach the Sensu API at http://127.0.0.1:${port}`,
    );
  });
});
