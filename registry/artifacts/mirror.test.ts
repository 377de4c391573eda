import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMirrorArtifacts } from './mirror.js';
import type { ArtifactSink, Artifacts } from './port.js';

const COMMIT = 'a'.repeat(40);
let dir: string;
let mirror: Artifacts;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(tmpdir(), 'bonsai-mirror-'));
  mirror = await createMirrorArtifacts(dir, 'https://cdn.example.com');
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

const measured = (text: string) => ({
  sha512: createHash('sha512').update(text).digest('hex'),
  size: Buffer.byteLength(text),
});

/** Opens a sink for `file` and writes `text` through it, as a download would. */
async function written(file: string, text: string): Promise<ArtifactSink> {
  const sink = (await mirror.openSink(COMMIT, file))!;
  sink.stream.end(text);
  await finished(sink.stream);
  return sink;
}

const partials = () => fs.readdir(path.join(dir, '.partial'));

describe('the mirror', () => {
  it.each([
    [COMMIT, '../escape.tar.gz'],
    [COMMIT, 'dist/x.tar.gz'],
    [COMMIT, '..'],
    ['not-a-commit', 'x.tar.gz'],
  ])('refuses to mirror %s/%s (ARTIFACTS_FAILED)', async (commit, file) => {
    await expect(mirror.openSink(commit, file)).rejects.toMatchObject({
      code: 'ARTIFACTS_FAILED',
      status: 500,
      message: `cannot mirror ${JSON.stringify(file)} of ${commit}`,
    });
    expect(mirror.locate(commit, file)).toBeUndefined();
  });

  it('publishes a written file at COMMIT/FILE, and compares later bytes with it', async () => {
    const sink = await written('x.tar.gz', 'first');
    expect(sink.mirrorPath).toBe(`${COMMIT}/x.tar.gz`);
    expect(await sink.compare(measured('first'))).toBe('absent');
    await sink.publish(measured('first'));
    expect(await fs.readFile(mirror.locate(COMMIT, 'x.tar.gz')!, 'utf8')).toBe('first');
    expect(await partials()).toEqual([]);

    const same = await written('x.tar.gz', 'first');
    expect(await same.compare(measured('first'))).toBe('same');
    const other = await written('x.tar.gz', 'other');
    expect(await other.compare(measured('other'))).toBe('different');
    const longer = await written('x.tar.gz', 'first, longer');
    expect(await longer.compare(measured('first, longer'))).toBe('different');
  });

  it('never publishes over other bytes that took the path meanwhile (ARTIFACTS_FAILED)', async () => {
    const late = await written('x.tar.gz', 'late');
    expect(await late.compare(measured('late'))).toBe('absent');
    const early = await written('x.tar.gz', 'early');
    await early.publish(measured('early'));
    await expect(late.publish(measured('late'))).rejects.toMatchObject({
      code: 'ARTIFACTS_FAILED',
      message: `cannot publish ${COMMIT}/x.tar.gz in ${dir}`,
    });
    expect(await fs.readFile(mirror.locate(COMMIT, 'x.tar.gz')!, 'utf8')).toBe('early');
    expect(await partials()).toEqual([]);
  });

  it('publishes the same bytes twice without complaint, and discards what it does not publish', async () => {
    const a = await written('x.tar.gz', 'same');
    const b = await written('x.tar.gz', 'same');
    await a.publish(measured('same'));
    await b.publish(measured('same'));
    const c = await written('y.tar.gz', 'unused');
    await c.discard();
    expect(await partials()).toEqual([]);
    expect(mirror.locate(COMMIT, 'y.tar.gz')).toBeDefined();
    await expect(fs.stat(mirror.locate(COMMIT, 'y.tar.gz')!)).rejects.toThrow('ENOENT');
  });
});

describe('orphan partial downloads', () => {
  it('are removed at start: a dead process of this host, a reused pid, anything a day old', async () => {
    const partial = path.join(dir, '.partial');
    const host = (await import('node:os')).hostname().replace(/[^A-Za-z0-9-]/g, '_');
    const uuid = '3b241101-e2bb-4255-8caf-4136c566a962';
    const files = {
      dead: `${host}.999999.${uuid}`,
      reused: `${host}.${process.pid}.${uuid}`,
      live: `${host}.${process.ppid}.${uuid}`,
      otherHostFresh: `elsewhere.1.${uuid}`,
      oldLegacy: 'b3c7e2a0-legacy',
    };
    for (const name of Object.values(files)) await fs.writeFile(path.join(partial, name), 'half');
    const old = new Date(Date.now() - 2 * 86_400_000);
    await fs.utimes(path.join(partial, files.oldLegacy), old, old);

    await createMirrorArtifacts(dir, 'https://cdn.example.com');
    expect((await fs.readdir(partial)).sort()).toEqual([files.live, files.otherHostFresh].sort());
  });
});
