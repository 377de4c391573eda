import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { openedGunzips as gunzips } from '../gunzip-recorder.js';
import { publish, tarGz } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';

// Every gunzip the code under test opens is recorded, to check that none is left holding its zlib handle.
vi.mock('node:zlib', async (original) =>
  (await import('../gunzip-recorder.js')).recordingZlib(await original()),
);

let h: Harness;
let repos = 0;
beforeAll(async () => {
  h = await startHarness({ env: { MAX_ARTIFACT_SIZE: '100000' } });
});
afterAll(() => h?.close());

it.each([
  ['bytes its checksum file does not list', () => tarGz([{ name: 'bin/x', mode: 0o755, content: 'other' }])],
  [
    'more bytes than MAX_ARTIFACT_SIZE',
    () => tarGz([{ name: 'bin/x', mode: 0o755, content: randomBytes(400_000) }]),
  ],
])('an artifact with %s leaves no archive parser open', async (_label, bytes) => {
  const name = `streams-${++repos}`;
  h.gh.state.createRepo(`acme/${name}`);
  await h.addRepo(`acme/${name}`);
  // The checksum file lists the archive publish() made, not the bytes uploaded in its place.
  await publish(h.gh, `acme/${name}`, '1.0.0', {
    files: { [`${name}_1.0.0_linux_amd64.tar.gz`]: await bytes() },
  });
  const before = gunzips.length;
  await h.sync(`acme/${name}`);
  const status = (await h.get(`/api/v1/assets/acme/${name}/status`)).json() as {
    versions: { state: string }[];
  };
  expect(status.versions[0]!.state).toBe('failed');
  const opened = gunzips.slice(before);
  expect(opened.length).toBeGreaterThan(0);
  expect(opened.filter((g) => !g.destroyed)).toEqual([]);
});
