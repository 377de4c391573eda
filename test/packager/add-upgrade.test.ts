import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bonsai } from '../cli/run-cli.js';
import { startRegistryStandIn, type StandIn } from './registry-stand-in.js';

/** `bonsai add --upgrade EXPORT`: the new definition under each installed name, renamed ones included. */

let registry: StandIn;
let dir: string;

beforeAll(async () => {
  registry = await startRegistryStandIn([
    { namespace: 'acme', name: 'check-cpu', versions: ['1.0.0', '1.1.0-rc.1', 'v0.9.0'] },
  ]);
  dir = await mkdtemp(path.join(tmpdir(), 'bonsai-upgrade-'));
  const installed = (name: string, namespace: string, origin: string, version: string) => ({
    metadata: {
      name,
      namespace,
      annotations: {
        'io.sensu.bonsai.version': version,
        'io.sensu.bonsai.namespace': origin.split('/')[0],
        'io.sensu.bonsai.name': origin.split('/')[1],
      },
    },
  });
  await writeFile(
    path.join(dir, 'assets.json'),
    JSON.stringify([
      installed('cpu', 'default', 'acme/check-cpu', '1.0.0'),
      installed('acme/check-cpu', 'production', 'acme/check-cpu', '1.1.0-rc.1'),
      installed('mem', 'default', 'acme/check-mem', '1.0.0'),
      { metadata: { name: 'by-hand', namespace: 'default' } },
    ]),
  );
});
afterAll(async () => {
  await registry?.close();
  await rm(dir, { recursive: true, force: true });
});

const add = (args: string[]) =>
  bonsai(['add', ...args], { cwd: dir, env: { BONSAI_REGISTRY_URL: registry.url } });

type Doc = { metadata: { name: string; namespace?: string; annotations: Record<string, string> } };

describe('bonsai add --upgrade', () => {
  it('writes the definition under each installed name and namespace, skipping copies already there', async () => {
    const run = await add(['acme/check-cpu', '--upgrade', 'assets.json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('upgrading default/cpu (acme/check-cpu) from 1.0.0 to 1.1.0-rc.1\n');
    expect(run.stderr).toContain('production/acme/check-cpu is already at 1.1.0-rc.1\n');
    const docs = loadAll(run.stdout) as Doc[];
    expect(docs.map((d) => [d.metadata.namespace, d.metadata.name])).toEqual([['default', 'cpu']]);
    expect(docs[0]!.metadata.annotations['io.sensu.bonsai.version']).toBe('1.1.0-rc.1');
  });

  it('writes every copy to --output as one stream of documents', async () => {
    const run = await add(['acme/check-cpu:0.9.0', '--upgrade', 'assets.json', '-o', 'up.yml']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('create them with: sensuctl create -f up.yml');
    const docs = loadAll(await readFile(path.join(dir, 'up.yml'), 'utf8')) as Doc[];
    expect(docs.map((d) => `${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      'default/cpu',
      'production/acme/check-cpu',
    ]);
  });

  it('reports an asset nothing in the export came from (exit 1)', async () => {
    const run = await add(['acme/check-disk', '--upgrade', 'assets.json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'error [ADD_NOT_INSTALLED]: no asset in assets.json came from acme/check-disk',
    );
  });

  it('reports an unreadable export before asking the registry (exit 2)', async () => {
    registry.requests.length = 0;
    const run = await add(['acme/check-cpu', '--upgrade', 'missing.json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error [OUTDATED_EXPORT_UNREADABLE]: cannot read missing.json');
    expect(registry.requests).toEqual([]);
  });

  it('goes with neither --rename nor --list (exit 2)', async () => {
    const run = await add(['acme/check-cpu', '--upgrade', 'assets.json', '-r', 'x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--upgrade keeps the installed names');
  });
});
