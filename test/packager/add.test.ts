import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bonsai } from '../cli/run-cli.js';
import { freePort } from '../registry/support/ports.js';
import { startRegistryStandIn, type StandIn } from './registry-stand-in.js';

let registry: StandIn;
let dir: string;

beforeAll(async () => {
  registry = await startRegistryStandIn([
    // Registry order on purpose: latest must come from go-version order, not list order.
    {
      namespace: 'acme',
      name: 'check-cpu',
      versions: ['1.0.0', '1.1.0-rc.1', 'v0.9.0', 'nightly', '0.10.0'],
    },
    { namespace: 'acme', name: 'empty', versions: ['nightly'] },
    {
      namespace: 'acme',
      name: 'broken',
      versions: ['1.0.0', '2.0.0'],
      definitionBody: {
        '1.0.0': '[{"type":"Asset"}]',
        '2.0.0': JSON.stringify({
          type: 'Asset',
          api_version: 'core/v2',
          metadata: { name: 'broken', labels: null, annotations: {} },
          spec: { builds: [{ url: 'http://x/a.tar.gz', sha512: 'abc', filters: [] }] },
        }),
      },
    },
  ]);
});
afterAll(() => registry.close());
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'bonsai-add-'));
  registry.requests.length = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const add = (args: string[], env: Record<string, string> = {}) =>
  bonsai(['add', ...args], { cwd: dir, env: { BONSAI_REGISTRY_URL: registry.url, ...env } });

describe('bonsai add: version choice as sensuctl makes it', () => {
  it('takes the latest by go-version order, pre-releases included, with sensuctl progress lines', async () => {
    const run = await add(['acme/check-cpu', '--format', 'json']);
    expect(run.code).toBe(0);
    expect(run.stderr.split('\n').slice(0, 2)).toEqual([
      'no version specified, using latest: 1.1.0-rc.1',
      'fetching bonsai asset: acme/check-cpu:1.1.0-rc.1',
    ]);
    // Exactly sensuctl's two GETs, with its Accept header.
    expect(registry.requests).toEqual([
      { method: 'GET', url: '/api/v1/assets/acme/check-cpu', accept: 'application/json' },
      {
        method: 'GET',
        url: '/api/v1/assets/acme/check-cpu/1.1.0-rc.1/release_asset_builds',
        accept: 'application/json',
      },
    ]);
    const resource = JSON.parse(run.stdout);
    expect(resource.metadata.annotations['io.sensu.bonsai.version']).toBe('1.1.0-rc.1');
  });

  it.each([
    ['0.9.0', 'v0.9.0'],
    ['v1.0.0', '1.0.0'],
    ['1.0', '1.0.0'],
    ['0.10', '0.10.0'],
  ])('asks for %s and fetches the registry spelling %s', async (requested, spelled) => {
    const run = await add([`acme/check-cpu:${requested}`]);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('no version specified');
    expect(run.stderr).toContain(`fetching bonsai asset: acme/check-cpu:${spelled}\n`);
    expect(registry.requests[1]?.url).toBe(`/api/v1/assets/acme/check-cpu/${spelled}/release_asset_builds`);
  });

  it('lists the available versions, oldest first, ignoring tags sensuctl cannot parse', async () => {
    const run = await add(['acme/check-cpu:2.0.0']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error [ASSET_VERSION_NOT_FOUND]: version "2.0.0" of asset "acme/check-cpu" does not exist',
    );
    expect(run.stderr).toContain('available versions: v0.9.0, 0.10.0, 1.0.0, 1.1.0-rc.1');
  });
});

describe('bonsai add: the definition it writes', () => {
  it('renames to NAMESPACE/NAME by default, at the top and under spec, and validates', async () => {
    const run = await add(['acme/check-cpu:1.0.0', '--format', 'json']);
    const resource = JSON.parse(run.stdout);
    expect(resource.metadata.name).toBe('acme/check-cpu');
    expect(resource.spec.metadata.name).toBe('acme/check-cpu');
    expect(resource.metadata).not.toHaveProperty('namespace');
    expect(Object.keys(resource.spec.builds[0])).toEqual(['url', 'sha512', 'filters']);
  });

  it('renames to --rename', async () => {
    const run = await add(['acme/check-cpu:1.0.0', '-r', 'cpu', '--format', 'json']);
    expect(JSON.parse(run.stdout).metadata.name).toBe('cpu');
    expect(run.stderr).toContain('"runtime_assets": ["cpu"]');
  });

  it('writes YAML (a document starting with ---) that parses back to the same resource as the JSON', async () => {
    const yaml = await add(['acme/check-cpu:1.0.0']);
    const json = await add(['acme/check-cpu:1.0.0', '--format', 'json']);
    expect(yaml.stdout.startsWith('---\n')).toBe(true);
    expect(load(yaml.stdout)).toEqual(JSON.parse(json.stdout));
    expect(JSON.stringify(load(yaml.stdout))).toBe(JSON.stringify(JSON.parse(json.stdout)));
  });

  it('writes --output FILE and says how to create it', async () => {
    const run = await add(['acme/check-cpu:1.0.0', '-o', 'cpu.yml']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    const text = await readFile(path.join(dir, 'cpu.yml'), 'utf8');
    expect((load(text) as { metadata: { name: string } }).metadata.name).toBe('acme/check-cpu');
    expect(run.stderr).toContain('wrote asset: acme/check-cpu:1.0.0 to cpu.yml');
    expect(run.stderr).toContain('create it with: sensuctl create -f cpu.yml');
    expect(await readdir(dir)).toEqual(['cpu.yml']);
  });

  it('leaves nothing behind when --output cannot be written', async () => {
    const run = await add(['acme/check-cpu:1.0.0', '-o', 'missing-folder/cpu.yml']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error [OUTPUT_WRITE_FAILED]: cannot write missing-folder/cpu.yml');
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes the registry from --registry over BONSAI_REGISTRY_URL, with or without /api/v1/assets', async () => {
    const run = await add(['acme/check-cpu:1.0.0', '--registry', `${registry.url}/api/v1/assets/`], {
      BONSAI_REGISTRY_URL: 'http://127.0.0.1:9',
    });
    expect(run.code).toBe(0);
  });
});

describe('bonsai add --list', () => {
  it('prints the versions oldest first', async () => {
    const run = await add(['--list', 'acme/check-cpu']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('v0.9.0\n0.10.0\n1.0.0\n1.1.0-rc.1\n');
    expect(run.stderr).toContain('ignored (not versions sensuctl can parse): nightly');
  });

  it('prints one JSON object with --format json', async () => {
    const run = await add(['--list', 'acme/check-cpu', '--format', 'json']);
    expect(JSON.parse(run.stdout)).toEqual({
      name: 'acme/check-cpu',
      versions: ['v0.9.0', '0.10.0', '1.0.0', '1.1.0-rc.1'],
      latest: '1.1.0-rc.1',
      ignored: ['nightly'],
    });
  });
});

describe('bonsai add: errors', () => {
  it('reports an unknown asset with the registry 404 text (exit 1)', async () => {
    const run = await add(['acme/nope']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `error [ASSET_NOT_FOUND]: asset acme/nope was not found at ${registry.url}/api/v1/assets/acme/nope (404: Resource does not exist.)`,
    );
  });

  it('reports an asset without parseable versions (exit 1)', async () => {
    const run = await add(['acme/empty']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error [ASSET_NO_VERSIONS]: asset "acme/empty" does not have any available versions',
    );
  });

  it('refuses a definition that is a JSON array, as sensuctl would (exit 3)', async () => {
    const run = await add(['acme/broken:1.0.0']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('with a JSON array; sensuctl needs one JSON object');
  });

  it('refuses a definition sensu would refuse (exit 1)', async () => {
    const run = await add(['acme/broken:2.0.0']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error [ASSET_DEFINITION_INVALID]');
    expect(run.stderr).toContain('build #1: SHA-512 checksum must be at least 128 characters (got 3)');
  });

  it('reports a refused connection, naming the URL (exit 3)', async () => {
    const port = await freePort(); // free, so nothing listens: connection refused
    const run = await add(['acme/check-cpu'], { BONSAI_REGISTRY_URL: `http://127.0.0.1:${port}` });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `error [REGISTRY_UNREACHABLE]: cannot reach the registry at http://127.0.0.1:${port}/api/v1/assets/acme/check-cpu (connection refused)`,
    );
    expect(run.stderr).toContain('hint: check --registry / BONSAI_REGISTRY_URL');
  });

  it('gives up after --timeout (exit 3)', async () => {
    const hanging = await startRegistryStandIn([], () => 'hang');
    try {
      const run = await add(['acme/check-cpu', '--timeout', '0.2'], { BONSAI_REGISTRY_URL: hanging.url });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('error [REGISTRY_TIMEOUT]: the registry did not answer');
      expect(run.stderr).toContain('within 0.2 s');
    } finally {
      await hanging.close();
    }
  });

  it('reports an answer that is not JSON (exit 3)', async () => {
    const html = await startRegistryStandIn([], () => ({
      status: 200,
      type: 'text/html',
      body: '<!DOCTYPE html><p>hi</p>',
    }));
    try {
      const run = await add(['acme/check-cpu'], { BONSAI_REGISTRY_URL: html.url });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('error [REGISTRY_NOT_JSON]');
      expect(run.stderr).toContain('content-type text/html');
      expect(run.stderr).toContain('hint: is this a Bonsai-compatible registry?');
    } finally {
      await html.close();
    }
  });

  it('reports a registry error status in sensuctl wording (exit 3)', async () => {
    const failing = await startRegistryStandIn([], () => ({
      status: 502,
      type: 'text/plain',
      body: 'bad gateway',
    }));
    try {
      const run = await add(['acme/check-cpu'], { BONSAI_REGISTRY_URL: failing.url });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('error [REGISTRY_HTTP_ERROR]: bonsai api returned status code: 502');
    } finally {
      await failing.close();
    }
  });

  it.each([
    [
      ['hello-world'],
      'give the namespace (the GitHub owner of the asset) before the name: bonsai add OWNER/hello-world',
    ],
    [
      ['a/b/c:1.0'],
      'the namespace and the name are separated by one slash (NAMESPACE/NAME), e.g. bonsai add a/b:1.0',
    ],
    [['acme/a:'], 'after the colon comes a version, or leave it out for the latest: acme/a:1.2.0'],
  ])('hints at the mistake made in %j, not at versions when the version is fine', async (args, hint) => {
    const run = await add(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`hint: ${hint}\n`);
    if (!args[0]!.endsWith(':')) expect(run.stderr).not.toMatch(/hint: .*version/);
    expect(registry.requests).toEqual([]);
  });

  it('takes :latest as the newest version, as no version does', async () => {
    const run = await add(['acme/check-cpu:latest', '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.split('\n').slice(0, 2)).toEqual([
      'using latest: 1.1.0-rc.1',
      'fetching bonsai asset: acme/check-cpu:1.1.0-rc.1',
    ]);
    expect(run.stderr).not.toContain('Malformed');
  });

  it.each([
    [['acme'], 'ADD_BAD_NAME', 'asset name must be specified in the format "namespace/asset"'],
    [['acme/a/b'], 'ADD_BAD_NAME', 'asset name must be specified in the format "namespace/asset"'],
    [['acme/a:1:2'], 'ADD_BAD_NAME', 'only one colon is permitted in the asset name'],
    [['acme/a:'], 'ADD_BAD_NAME', 'asset name must be specified in the format "namespace/asset"'],
    [['acme/a:not-a-version'], 'ADD_BAD_VERSION', 'Malformed version: not-a-version'],
    [['acme/a', '--format', 'toml'], 'USAGE', '--format must be yaml or json'],
    [['acme/a', '--timeout', '0'], 'USAGE', '--timeout must be a positive number'],
    [['acme/a', '--rename', 'has space'], 'USAGE', 'is not a valid asset name'],
    [['acme/a:1.0', '--list'], 'USAGE', '--list takes NAMESPACE/NAME without a version'],
    [['acme/a:latest', '--list'], 'USAGE', '--list takes NAMESPACE/NAME without a version'],
    [['acme/a', '--registry', 'ftp://x'], 'REGISTRY_URL_INVALID', 'is not an http(s) URL'],
  ])('exits 2 on bad input %j, before any request', async (args, code, message) => {
    const run = await add(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error [${code}]: `);
    expect(run.stderr).toContain(message);
    expect(registry.requests).toEqual([]);
  });
});
