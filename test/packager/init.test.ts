import { spawnSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bonsai, initProject, listing, sh, tempDir } from './fixture.js';

describe('bonsai init', () => {
  it('writes the hello-world asset: an executable bin/ script, a Windows .cmd, bonsai.yml and README', async () => {
    const root = await tempDir();
    const run = await bonsai(['init', 'greeter', '--name', 'hello-world'], { cwd: root });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual([
      'greeter/bonsai.yml',
      'greeter/README.md',
      'greeter/bin/hello-world',
      'greeter/build/windows_amd64/bin/hello-world.cmd',
      'greeter/.gitignore',
    ]);
    const dir = path.join(root, 'greeter');
    expect((await stat(path.join(dir, 'bin/hello-world'))).mode & 0o777).toBe(0o755);
    const script = spawnSync(path.join(dir, 'bin/hello-world'), { encoding: 'utf8' });
    expect(script.status).toBe(0);
    expect(script.stdout).toBe('Hello World\n');
    expect(await readFile(path.join(dir, 'build/windows_amd64/bin/hello-world.cmd'), 'utf8')).toContain(
      'echo Hello World\r\n',
    );
    expect(await readFile(path.join(dir, 'README.md'), 'utf8')).toContain(
      'build/windows_amd64/bin/hello-world.cmd',
    );
  });

  it('writes a bonsai.yml that lints clean, with the 32-bit ARM filter the agent can match', async () => {
    const { dir } = await initProject();
    const yml = await readFile(path.join(dir, 'bonsai.yml'), 'utf8');
    expect(yml).toContain(
      `      - "entity.system.arch == 'arm'"\n      - "entity.system.arm_version == 7"\n`,
    );
    for (const os of ['linux', 'darwin', 'windows']) expect(yml).toContain(`"entity.system.os == '${os}'"`);
    const lint = await bonsai(['lint', dir, '--json']);
    expect(lint.code).toBe(0);
    const result = JSON.parse(lint.stdout) as {
      errors: unknown[];
      warnings: unknown[];
      builds: { platform: string; arch: string }[];
    };
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.builds.map((b) => `${b.platform}/${b.arch}`)).toEqual([
      'linux/amd64',
      'linux/arm64',
      'linux/armv7',
      'darwin/amd64',
      'windows/amd64',
    ]);
  });

  it('gives a project that packs, checks, and runs Hello World once extracted as the agent would', async () => {
    const { root, dir } = await initProject();
    expect((await bonsai(['pack', '--version', '0.0.1'], { cwd: dir })).code).toBe(0);
    const check = await bonsai(['check', '--version', '0.0.1'], { cwd: dir });
    expect(check.stdout).toContain('check passed');
    const cache = path.join(root, 'cache');
    await mkdir(cache);
    expect(
      sh('tar', ['-xzf', path.join(dir, 'dist/hello-world_0.0.1_linux_amd64.tar.gz'), '-C', cache]).status,
    ).toBe(0);
    const ran = spawnSync('hello-world', {
      encoding: 'utf8',
      env: { PATH: `${path.join(cache, 'bin')}:${process.env.PATH}` },
    });
    expect(ran.stdout).toBe('Hello World\n');
  });

  it.each([['bonsai.yml'], ['.bonsai.yml'], ['bin/hello-world']])(
    'refuses to overwrite (%s exists) and writes nothing',
    async (existing) => {
      const root = await tempDir();
      const dir = path.join(root, 'hello-world');
      await mkdir(path.dirname(path.join(dir, existing)), { recursive: true });
      await writeFile(path.join(dir, existing), 'mine\n');
      const before = await listing(dir);
      const run = await bonsai(['init', dir]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`error [INIT_EXISTS]`);
      expect(run.stderr).toContain(existing);
      expect(await listing(dir)).toEqual(before);
      expect(await readFile(path.join(dir, existing), 'utf8')).toBe('mine\n');
    },
  );

  it('keeps dist/ out of git, and its README releases with bonsai publish', async () => {
    const { dir } = await initProject();
    const git = (...args: string[]) =>
      sh('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], dir);
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'init');
    expect((await bonsai(['pack', '--version', '0.0.1'], { cwd: dir })).code).toBe(0);
    expect(git('status', '--porcelain').stdout).toBe('');
    const readme = await readFile(path.join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('bonsai publish --repo OWNER/hello-world --tag 0.0.1');
    expect(readme).not.toMatch(/attach/i);
  });

  it('keeps an existing .gitignore and creates the rest', async () => {
    const root = await tempDir();
    await writeFile(path.join(root, '.gitignore'), 'node_modules/\n');
    const run = await bonsai(['init', root, '--name', 'hello-world']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('kept the existing .gitignore: add dist/ to it if it is not there');
    expect(await readFile(path.join(root, '.gitignore'), 'utf8')).toBe('node_modules/\n');
    expect(await readFile(path.join(root, 'bonsai.yml'), 'utf8')).toContain('builds:');
  });

  it('refuses a name that cannot be a command and an asset name', async () => {
    const root = await tempDir();
    const run = await bonsai(['init', root, '--name', 'hello world']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error [INIT_BAD_NAME]: 'hello world' cannot name an asset and its command");
    expect(await listing(root)).toEqual([]);
  });
});
