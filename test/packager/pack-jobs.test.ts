import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildYaml } from '../../bench/tree.js';
import { collectTree } from '../../packager/archive/tree.js';
import { writeTarGz } from '../../packager/archive/writer.js';
import { PackagerError } from '../../packager/errors.js';
import { ArchiveWorkers } from '../../packager/pack/archive-workers.js';
import { bonsai, listing, outputFolderHolding, packBuilds, tempDir } from './fixture.js';

const PLATFORMS = [
  ['linux', 'amd64'],
  ['linux', 'arm64'],
  ['linux', 'armv7'],
  ['darwin', 'amd64'],
  ['windows', 'amd64'],
] as const;

/** `bytes` of deterministic, partly compressible data: the same on every run and machine. */
function blob(seed: string, bytes: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const block = createHash('sha512').update(`${seed}:${i}`).digest();
    // Every other block is repeated text, so deflate finds matches across chunk boundaries too.
    const part = i % 2 === 0 ? block : Buffer.from(`${seed} line ${i % 50}\n`.repeat(8));
    parts.push(part);
    size += part.length;
  }
  return Buffer.concat(parts).subarray(0, bytes);
}

async function put(file: string, content: Buffer | string, mode = 0o644): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  await chmod(file, mode);
}

/**
 * Five builds: linux/amd64 and linux/armv7 share the project's bin/ and lib/ (one archive's bytes), the
 * others take theirs from build/<platform>_<arch>/, with files larger than the reader's and zlib's chunks.
 */
async function writeProject(dir: string): Promise<void> {
  const builds = PLATFORMS.map(([platform, arch]) => buildYaml(platform, arch).join('\n'));
  await put(path.join(dir, 'bonsai.yml'), `---\ndescription: "#{repo}"\nbuilds:\n${builds.join('\n')}\n`);
  await put(path.join(dir, 'README.md'), '# jobs\n');
  await put(path.join(dir, 'bin/tool'), '#!/bin/sh\necho tool\n', 0o755);
  await put(path.join(dir, 'lib/data.bin'), blob('project', (3 << 20) + 5));
  for (const [platform, arch] of [
    ['linux', 'arm64'],
    ['darwin', 'amd64'],
    ['windows', 'amd64'],
  ]) {
    const root = path.join(dir, 'build', `${platform}_${arch}`);
    await put(path.join(root, 'bin/tool'), blob(`${platform}-${arch}`, (2 << 20) + 333), 0o755);
    for (let i = 0; i < 40; i++)
      await put(path.join(root, `lib/m${i}.txt`), blob(`${arch}-${i}`, 100 + 97 * i));
  }
}

async function packJson(dir: string, out: string, jobs: string) {
  const run = await bonsai(
    ['pack', dir, '--version', '1.0.0', '--repo', 'x', '--out', out, '--jobs', jobs, '--json'],
    { env: { SOURCE_DATE_EPOCH: '1600000000' } },
  );
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { archives: { fileName: string; sha512: string }[] };
}

/**
 * The sha512 of the checksum file the serial writer (archiver's gzip, one archive after another) wrote
 * for writeProject's tree before archives were written by worker threads. A Node whose zlib writes other
 * bytes changes it too: archives would then differ from those packed on an older Node.
 */
const SERIAL_CHECKSUMS_SHA512 =
  '880fea804ddf4550c5f17884a15a507ce425b1022b21f350ab00819ab60717b344608c2e8c6f6f81b270b1d92a85cd9e5be3d535155514795e08537d1e8a8449';

describe('bonsai pack --jobs', () => {
  it('writes the same bytes with one job and with four, and those of the serial writer', async () => {
    const root = await tempDir();
    const dir = path.join(root, 'project');
    await writeProject(dir);
    const serial = await packJson(dir, path.join(root, 'one'), '1');
    const parallel = await packJson(dir, path.join(root, 'four'), '4');

    const digests = (r: typeof serial) => Object.fromEntries(r.archives.map((a) => [a.fileName, a.sha512]));
    expect(digests(parallel)).toEqual(digests(serial));
    // Four distinct contents; the two builds sharing the project's folders share one archive's bytes.
    expect(new Set(Object.values(digests(serial))).size).toBe(4);
    expect(digests(serial)['x_1.0.0_linux_armv7.tar.gz']).toBe(digests(serial)['x_1.0.0_linux_amd64.tar.gz']);
    for (const out of ['one', 'four']) {
      const sums = await readFile(path.join(root, out, 'x_1.0.0_sha512-checksums.txt'));
      expect(createHash('sha512').update(sums).digest('hex')).toBe(SERIAL_CHECKSUMS_SHA512);
    }
  });

  it('refuses a --jobs that is not a whole number, 1 or more', async () => {
    const root = await tempDir();
    const dir = path.join(root, 'project');
    await writeProject(dir);
    for (const jobs of ['0', '-1', 'two', '1.5']) {
      const run = await bonsai(['pack', dir, '--version', '1.0.0', '--jobs', jobs]);
      expect(run.code, jobs).toBe(2);
      expect(run.stderr).toContain(`--jobs must be a whole number, 1 or more (got ${JSON.stringify(jobs)})`);
    }
    expect(await listing(path.join(dir, 'dist'))).toEqual([]);
  });

  it('reports a file that fails while archives are written in parallel as PACK_WRITE_FAILED, leaving nothing', async () => {
    const root = await tempDir();
    const dir = path.join(root, 'project');
    await writeProject(dir);
    const out = path.join(root, 'out');
    await outputFolderHolding(out, 'older.txt');
    let sabotaged = false;
    const packing = packBuilds(
      dir,
      out,
      PLATFORMS.map(([platform, arch]) => [platform, arch, `${platform}_${arch}.tar.gz`] as const),
      {
        concurrency: 2,
        // Windows's archive is written last (largest first; ties in plan order): once the first archive
        // is done, its file disappears before a worker reads it.
        onProgress: (p) => {
          if (sabotaged || p.archivesDone === 0) return;
          sabotaged = true;
          void rm(path.join(dir, 'build/windows_amd64/bin/tool'));
        },
      },
    );
    await expect(packing).rejects.toBeInstanceOf(PackagerError);
    await expect(packing).rejects.toMatchObject({
      code: 'PACK_WRITE_FAILED',
      message: expect.stringMatching(/^packing into \.\.\/out failed: ENOENT: .*windows_amd64\/bin\/tool/),
    });
    expect(await listing(out)).toEqual(['older.txt']);
  });
});

describe('ArchiveWorkers', () => {
  it('rejects with the error the serial writer gives, code included, and keeps serving', async () => {
    const root = await tempDir();
    const dir = path.join(root, 'project');
    await writeProject(dir);
    const entries = collectTree([{ name: 'bin', path: path.join(dir, 'bin') }], { show: (p) => p });
    await rm(path.join(dir, 'bin/tool'));
    const options = { mtime: new Date(0) };
    const serial = await writeTarGz(entries, path.join(root, 'a.tar.gz'), options).catch((e: unknown) => e);
    const workers = new ArchiveWorkers();
    try {
      const parallel = await workers
        .write(entries, path.join(root, 'b.tar.gz'), options)
        .catch((e: unknown) => e);
      expect(parallel).toBeInstanceOf(Error);
      expect(parallel).toMatchObject({
        code: (serial as NodeJS.ErrnoException).code,
        message: (serial as Error).message,
      });
      await put(path.join(dir, 'bin/tool'), '#!/bin/sh\necho tool\n', 0o755);
      const again = await workers.write(entries, path.join(root, 'c.tar.gz'), options);
      const expected = await writeTarGz(entries, path.join(root, 'd.tar.gz'), options);
      expect(again).toEqual(expected);
    } finally {
      await workers.close();
    }
  });
});
