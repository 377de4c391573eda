import { spawnSync } from 'node:child_process';
import { chmod, link, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PackagerError } from '../../packager/errors.js';
import { bonsai, codesOf, initProject, listing, outputFolderHolding, packBuilds, sh } from './fixture.js';

const isRoot = process.getuid?.() === 0;
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

interface RefusalCase {
  name: string;
  code: string;
  /** Changes the fresh hello-world project in `dir` so that packing it must be refused. */
  arrange: (dir: string) => Promise<void>;
  /** Text the refusal must show (message or hint), paths relative to the project folder. */
  says: string[];
  skip?: boolean;
}

const CASES: RefusalCase[] = [
  {
    name: 'a symlink to an absolute path',
    code: 'PACK_SYMLINK_ABSOLUTE',
    arrange: (dir) => symlink('/etc/passwd', path.join(dir, 'bin/passwd')),
    says: ["bin/passwd: is a symlink to the absolute path '/etc/passwd'"],
  },
  {
    name: 'a symlink leaving the tree',
    code: 'PACK_SYMLINK_OUTSIDE',
    arrange: async (dir) => {
      await mkdir(path.join(dir, 'lib'));
      await symlink('../../secrets', path.join(dir, 'lib/up'));
    },
    says: ["lib/up: is a symlink to '../../secrets', which leaves the archive"],
  },
  {
    name: 'a symlink to a file that is not packed',
    code: 'PACK_SYMLINK_DANGLING',
    arrange: async (dir) => {
      await writeFile(path.join(dir, 'notes.txt'), 'not packed');
      await mkdir(path.join(dir, 'lib'));
      await symlink('../notes.txt', path.join(dir, 'lib/notes'));
    },
    says: ["lib/notes: is a symlink to '../notes.txt', which is not in the archive"],
  },
  {
    name: 'a hard link',
    code: 'PACK_HARD_LINK',
    arrange: async (dir) => {
      await mkdir(path.join(dir, 'lib'));
      await link(path.join(dir, 'bin/hello-world'), path.join(dir, 'lib/hello-copy'));
    },
    says: [
      'lib/hello-copy: is a hard link',
      'cp -p lib/hello-copy lib/hello-copy.copy && mv lib/hello-copy.copy lib/hello-copy',
    ],
  },
  {
    name: 'a character device',
    code: 'PACK_SPECIAL_FILE',
    skip: !isRoot,
    arrange: async (dir) => {
      await mkdir(path.join(dir, 'lib'));
      expect(sh('mknod', [path.join(dir, 'lib/null'), 'c', '1', '3']).status).toBe(0);
    },
    says: ['lib/null: is a character device'],
  },
  {
    name: 'a fifo',
    code: 'PACK_SPECIAL_FILE',
    arrange: async (dir) => {
      await mkdir(path.join(dir, 'lib'));
      expect(sh('mkfifo', [path.join(dir, 'lib/pipe')]).status).toBe(0);
    },
    says: ['lib/pipe: is a fifo (named pipe)'],
  },
  {
    name: 'a socket',
    code: 'PACK_SPECIAL_FILE',
    arrange: async (dir) => {
      await mkdir(path.join(dir, 'lib'));
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(path.join(dir, 'lib/sock'), resolve));
    },
    says: ['lib/sock: is a socket'],
  },
  {
    name: "a name that is '..' on Windows",
    code: 'PACK_UNSAFE_NAME',
    arrange: async (dir) => {
      await writeFile(path.join(dir, 'bin', '..\\..\\evil'), '#!/bin/sh\n');
      await chmod(path.join(dir, 'bin', '..\\..\\evil'), 0o755);
    },
    says: ["the name contains '..' as a path part"],
  },
  {
    name: 'a file in bin/ that is not executable',
    code: 'PACK_NOT_EXECUTABLE',
    arrange: (dir) => chmod(path.join(dir, 'bin/hello-world'), 0o644),
    says: ['bin/hello-world: is in bin/ but not executable', 'hint: chmod +x bin/hello-world'],
  },
  {
    name: 'a symlink in bin/ to a file that is not executable',
    code: 'PACK_NOT_EXECUTABLE',
    arrange: async (dir) => {
      await mkdir(path.join(dir, 'lib'));
      await writeFile(path.join(dir, 'lib/tool.sh'), 'echo\n');
      await symlink('../lib/tool.sh', path.join(dir, 'bin/tool'));
    },
    says: ['lib/tool.sh: is the target of bin/tool in bin/ but not executable', 'hint: chmod +x lib/tool.sh'],
  },
  {
    name: 'a bin/ without an executable',
    code: 'PACK_BIN_NO_EXECUTABLE',
    arrange: async (dir) => {
      await rm(path.join(dir, 'bin/hello-world'));
      await mkdir(path.join(dir, 'bin/helpers'));
    },
    says: ['bin: holds no executable file'],
  },
  {
    name: 'a bin that is a file',
    code: 'PACK_ROOT_NOT_DIRECTORY',
    arrange: async (dir) => {
      await rm(path.join(dir, 'bin'), { recursive: true });
      await writeFile(path.join(dir, 'bin'), '#!/bin/sh\n', { mode: 0o755 });
    },
    says: ['bin: must be a directory (the agent adds bin/ to a search path)'],
  },
  {
    name: 'a bin that is a symlink to a folder',
    code: 'PACK_ROOT_NOT_DIRECTORY',
    arrange: async (dir) => {
      await rename(path.join(dir, 'bin'), path.join(dir, 'tools'));
      await symlink('tools', path.join(dir, 'bin'));
    },
    says: ['bin: must be a directory', 'hint: replace the symlink with the directory itself'],
  },
  {
    name: 'a project with nothing to pack',
    code: 'PACK_NOTHING_TO_PACK',
    arrange: (dir) => rm(path.join(dir, 'bin'), { recursive: true }),
    says: ['build #1 (linux/amd64): . has no bin/, lib/ or include/ to pack'],
  },
  {
    name: 'an unreadable file',
    code: 'PACK_UNREADABLE',
    skip: isRoot, // root reads everything; the same refusal is tested below as an unprivileged user
    arrange: async (dir) => {
      await mkdir(path.join(dir, 'lib'));
      await writeFile(path.join(dir, 'lib/secret'), 'x');
      await chmod(path.join(dir, 'lib/secret'), 0o000);
    },
    says: ['lib/secret: file cannot be read (EACCES)'],
  },
];

/** Rewrites the project's bonsai.yml: `edit` gets and returns its text. */
async function editYml(dir: string, edit: (text: string) => string): Promise<void> {
  const file = path.join(dir, 'bonsai.yml');
  await writeFile(file, edit(await readFile(file, 'utf8')));
}

describe('bonsai pack refuses file names a release cannot carry', () => {
  it.each([
    [
      'two builds naming one archive but taking their files from different folders',
      (yml: string) => yml.replace('#{version}_linux_amd64.tar.gz', '#{version}_windows_amd64.tar.gz'),
      'PACK_ASSET_NAME_CLASH',
      'build #5 (windows/amd64) and build #1 both name hello-world_1.0.0_windows_amd64.tar.gz but take ' +
        'their files from build/windows_amd64 and .',
    ],
    [
      'a checksum file named like an archive',
      (yml: string) =>
        yml.replace(
          /(arch: "arm64"\n.*\n\s+sha_filename: )"[^"]+"/,
          '$1"#{repo}_#{version}_linux_amd64.tar.gz"',
        ),
      'PACK_ASSET_NAME_CLASH',
      'hello-world_1.0.0_linux_amd64.tar.gz is named both as an archive and as a checksum file',
    ],
  ])('%s', async (_name, edit, code, message) => {
    const { dir } = await initProject();
    await editYml(dir, edit);
    const run = await bonsai(['pack', '--version', '1.0.0'], { cwd: dir });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('error [PACK_REFUSED]: refusing to pack: 1 problem with the builds');
    expect(run.stderr).toContain(`  error ${code}  ${message}`);
    expect(await listing(path.join(dir, 'dist'))).toEqual([]);
  });

  it.each(['pack', 'check'])(
    '%s names a file name no release can carry at its bonsai.yml line, before anything else',
    async (verb) => {
      const { dir } = await initProject();
      await editYml(dir, (yml) =>
        yml.replace('"#{repo}_#{version}_linux_amd64', '"dist/#{repo}_#{version}_linux_amd64'),
      );
      const run = await bonsai([verb, '--version', '1.0.0'], { cwd: dir });
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).toMatch(
        /^bonsai\.yml:6:\d+ {2}error RELEASE_FILE_NAME_INVALID {2}build #1 'asset_filename' \('dist\/#\{repo\}_#\{version\}_linux_amd64\.tar\.gz'\) cannot name a release file: it contains a path separator/m,
      );
      expect(run.stdout + run.stderr).not.toContain('missing GitHub release asset for dist/');
      expect(await listing(path.join(dir, 'dist'))).toEqual([]);
    },
  );

  it('pack names the file names a tag with a slash would give, at their lines', async () => {
    const { dir } = await initProject();
    const run = await bonsai(['pack', '--version', 'release/1.0'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^bonsai\.yml:\d+:\d+ {2}error RELEASE_FILE_NAME_INVALID {2}build #1 'asset_filename' gives 'hello-world_release\/1\.0_linux_amd64\.tar\.gz', which cannot be a release file name/m,
    );
    expect(run.stderr).toContain(
      'error [CONFIG_INVALID]: bonsai.yml: file names cannot be built for hello-world release/1.0',
    );
    expect(await listing(path.join(dir, 'dist'))).toEqual([]);
  });
});

describe('bonsai pack refuses what the agent would extract unsafely or could not run', () => {
  it.each(CASES.filter((c) => !c.skip).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { dir } = await initProject();
    await c.arrange(dir);
    const run = await bonsai(['pack', '--version', '1.0.0', '--out', 'release'], { cwd: dir });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('error [PACK_REFUSED]');
    expect(codesOf(run)).toContain(c.code);
    for (const text of c.says) expect(run.stderr).toContain(text);
    // Nothing was created: not even the output folder.
    expect(await listing(path.join(dir, 'release'))).toEqual([]);
    expect((await listing(dir)).includes('release')).toBe(false);
  });

  it('lists every refusal at once, in path order, and leaves an existing --out as it was', async () => {
    const { dir } = await initProject();
    await chmod(path.join(dir, 'bin/hello-world'), 0o600);
    await symlink('/usr/bin/env', path.join(dir, 'bin/env'));
    const out = path.join(dir, 'dist');
    await mkdir(out);
    await writeFile(path.join(out, 'older.tar.gz'), 'x');
    const run = await bonsai(['pack', '--version', '1.0.0', '--json'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('refusing to pack: 2 problems in the tree');
    const json = JSON.parse(run.stdout) as {
      ok: boolean;
      problems: { code: string; path: string; hint?: string }[];
    };
    expect(json.ok).toBe(false);
    expect(json.problems.map((p) => [p.code, p.path])).toEqual([
      ['PACK_SYMLINK_ABSOLUTE', 'bin/env'],
      ['PACK_NOT_EXECUTABLE', 'bin/hello-world'],
    ]);
    expect(await listing(out)).toEqual(['older.tar.gz']);
  });

  // Root reads every file, so the refusal is seen by the CLI run as the checkout's owner without the
  // capabilities that bypass file modes. Not as another user (nobody, 65534): that user cannot enter a
  // checkout in a private folder (a clone in `mktemp -d`, mode 0700), where the sources and tsx are.
  it.skipIf(!isRoot)('refuses an unreadable file (run without the power to read every file)', async () => {
    const { root, dir } = await initProject();
    await chmod(root, 0o755);
    await mkdir(path.join(dir, 'lib'));
    await writeFile(path.join(dir, 'lib/secret'), 'x');
    await chmod(path.join(dir, 'lib/secret'), 0o000);
    const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const owner = await stat(repo);
    const child = spawnSync(
      'setpriv',
      [
        `--reuid=${owner.uid}`,
        `--regid=${owner.gid}`,
        '--clear-groups',
        '--inh-caps=-all',
        '--bounding-set=-all',
        process.execPath,
        '--import',
        path.join(repo, 'node_modules/tsx/dist/esm/index.mjs'),
        path.join(repo, 'cli/main.ts'),
        'pack',
        '--version',
        '1.0.0',
        '--out',
        path.join(root, 'out'),
      ],
      { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: root } },
    );
    expect(child.status, child.stderr).toBe(1);
    expect(child.stderr).toContain('error PACK_UNREADABLE  lib/secret: file cannot be read (EACCES)');
    expect(await listing(path.join(root, 'out'))).toEqual([]);
  });

  it('removes every partial file when writing fails halfway (nothing new in the output folder)', async () => {
    const { dir } = await initProject();
    const out = path.join(dir, 'dist');
    await outputFolderHolding(out, 'older.txt');
    let sabotaged = false;
    const packing = packBuilds(
      dir,
      out,
      [
        ['linux', 'amd64', 'a.tar.gz'],
        ['windows', 'amd64', 'b.tar.gz'],
      ],
      {
        concurrency: 1,
        // While the first archive is written, the second build's file disappears: its read fails.
        onProgress: () => {
          if (sabotaged) return;
          sabotaged = true;
          spawnSync('rm', [path.join(dir, 'build/windows_amd64/bin/hello-world.cmd')]);
        },
      },
    );
    await expect(packing).rejects.toMatchObject({ code: 'PACK_WRITE_FAILED' });
    await expect(packing).rejects.toBeInstanceOf(PackagerError);
    expect(sabotaged).toBe(true);
    expect(await listing(out)).toEqual(['older.txt']);
  });
});
