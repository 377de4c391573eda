import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bonsai, codesOf, initProject, listing, sh, tempDir } from './fixture.js';

/** Real minisign (Debian's package; .ci/run installs it): the interoperability these tests prove. */
const minisign = (args: string[], cwd: string) => sh('minisign', args, cwd);

const SUMS = 'hello-world_1.0.0_sha512-checksums.txt';

async function packedProject(extra: string[] = [], env: Record<string, string> = {}) {
  const { root, dir } = await initProject();
  const keys = await bonsai(
    ['keygen', '--key', path.join(root, 'release.key'), '--pub', path.join(root, 'release.pub')],
    {
      cwd: root,
    },
  );
  expect(keys.code, keys.stderr).toBe(0);
  const packed = await bonsai(['pack', '--version', '1.0.0', ...extra], { cwd: dir, env });
  return {
    root,
    dir,
    dist: path.join(dir, 'dist'),
    packed,
    keyId: /key id ([0-9A-F]{16})/.exec(keys.stdout)![1]!,
  };
}

describe('bonsai keygen', () => {
  it('writes a minisign key pair (secret key 0600) that minisign itself signs with, and never overwrites', async () => {
    const root = await tempDir();
    const run = await bonsai(['keygen'], { cwd: root });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^key id [0-9A-F]{16}\npublic key: RW[A-Za-z0-9+/=]+\n$/);
    expect((await stat(path.join(root, 'bonsai.key'))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(root, 'bonsai.pub'), 'utf8')).toMatch(
      /^untrusted comment: minisign public key [0-9A-F]{16}\n/,
    );
    await writeFile(path.join(root, 'file.txt'), 'data\n');
    const signed = minisign(['-S', '-s', 'bonsai.key', '-m', 'file.txt'], root);
    expect(signed.status, signed.stderr).toBe(0);
    expect(minisign(['-V', '-p', 'bonsai.pub', '-m', 'file.txt'], root).status).toBe(0);

    const before = await readFile(path.join(root, 'bonsai.key'), 'utf8');
    const again = await bonsai(['keygen'], { cwd: root });
    expect(again.code).toBe(1);
    expect(codesOf(again)).toEqual(['KEYGEN_EXISTS']);
    expect(await readFile(path.join(root, 'bonsai.key'), 'utf8')).toBe(before);
    // An existing .pub alone: the new secret key is not left behind without its public half.
    const lone = await bonsai(['keygen', '--key', 'other.key'], { cwd: root });
    expect(codesOf(lone)).toEqual(['KEYGEN_EXISTS']);
    expect(await listing(root)).toEqual(['bonsai.key', 'bonsai.pub', 'file.txt', 'file.txt.minisig']);
  });
});

describe('bonsai pack --sign: minisign interoperability', () => {
  it('signs each checksum file; minisign -V verifies it, and refuses it once the checksum file is changed', async () => {
    const { root, dist, packed, keyId } = await packedProject(['--sign', '../release.key']);
    expect(packed.code, packed.stderr).toBe(0);
    expect(packed.stdout).toContain(`${SUMS}.minisig  (signed by key ${keyId})`);
    expect(await listing(dist)).toContain(`${SUMS}.minisig`);
    const ok = minisign(['-V', '-p', path.join(root, 'release.pub'), '-m', SUMS], dist);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`file:${SUMS}`);
    // sha512sum -c still passes with the signature beside the checksum file.
    expect(sh('sha512sum', ['-c', SUMS], dist).status).toBe(0);

    const sums = path.join(dist, SUMS);
    await writeFile(
      sums,
      (await readFile(sums, 'utf8')).replace(/^./, (c) => (c === '0' ? '1' : '0')),
    );
    expect(minisign(['-V', '-p', path.join(root, 'release.pub'), '-m', SUMS], dist).status).not.toBe(0);
    const check = await bonsai(['check', '--version', '1.0.0', '--key', '../release.pub', '--json'], {
      cwd: path.dirname(dist),
    });
    expect(check.code).toBe(1);
    const codes = (JSON.parse(check.stdout) as { diagnostics: { code: string }[] }).diagnostics.map(
      (d) => d.code,
    );
    expect(codes).toContain('SIGNATURE_INVALID');
  });

  it('signs reproducibly from BONSAI_SIGNING_KEY (the key text, as a CI secret holds it)', async () => {
    const { root, dir, dist } = await packedProject();
    const env = {
      BONSAI_SIGNING_KEY: await readFile(path.join(root, 'release.key'), 'utf8'),
      SOURCE_DATE_EPOCH: '1700000000',
    };
    expect((await bonsai(['pack', '--version', '1.0.0'], { cwd: dir, env })).code).toBe(0);
    const first = await readFile(path.join(dist, `${SUMS}.minisig`), 'utf8');
    expect(first).toContain('trusted comment: timestamp:1700000000\tfile:' + SUMS);
    expect((await bonsai(['pack', '--version', '1.0.0'], { cwd: dir, env })).code).toBe(0);
    expect(await readFile(path.join(dist, `${SUMS}.minisig`), 'utf8')).toBe(first);
    const check = await bonsai(['check', '--version', '1.0.0', '--key', '../release.pub'], { cwd: dir });
    expect(check.code, check.stdout).toBe(0);
  });

  it('verifies what the real minisign signed (prehashed and legacy), and refuses another key', async () => {
    const { root, dir, dist } = await packedProject();
    expect(minisign(['-G', '-W', '-p', 'mini.pub', '-s', 'mini.key'], root).status).toBe(0);
    expect(minisign(['-S', '-s', path.join(root, 'mini.key'), '-m', SUMS], dist).status).toBe(0);
    const run = await bonsai(['check', '--version', '1.0.0', '--key', '../mini.pub'], { cwd: dir });
    expect(run.code, run.stdout).toBe(0);
    expect(minisign(['-S', '-l', '-s', path.join(root, 'mini.key'), '-m', SUMS], dist).status).toBe(0);
    expect((await bonsai(['check', '--version', '1.0.0', '--key', '../mini.pub'], { cwd: dir })).code).toBe(
      0,
    );
    // Signed by minisign's key, checked against ours: refused, naming the key.
    const foreign = await bonsai(['check', '--version', '1.0.0', '--key', '../release.pub'], { cwd: dir });
    expect(foreign.code).toBe(1);
    expect(foreign.stdout).toMatch(
      /SIGNATURE_INVALID .*signed by key [0-9A-F]{16}, which is not trusted here/,
    );
  });

  it('check --key needs a signature; a .minisig that is not one fails even without --key', async () => {
    const { dir, dist } = await packedProject();
    const missing = await bonsai(['check', '--version', '1.0.0', '--key', '../release.pub'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('SIGNATURE_MISSING');
    await writeFile(path.join(dist, `${SUMS}.minisig`), 'not a signature\n');
    const malformed = await bonsai(['check', '--version', '1.0.0'], { cwd: dir });
    expect(malformed.code).toBe(1);
    expect(malformed.stdout).toContain('SIGNATURE_INVALID');
  });
});

describe('bonsai verify --checksums --key', () => {
  it('verifies one archive against a checksum file signed by the real minisign, and refuses a tampered one', async () => {
    const { root, dir, dist } = await packedProject();
    expect(minisign(['-G', '-W', '-p', 'mini.pub', '-s', 'mini.key'], root).status).toBe(0);
    expect(minisign(['-S', '-s', path.join(root, 'mini.key'), '-m', SUMS], dist).status).toBe(0);
    const archive = 'dist/hello-world_1.0.0_linux_amd64.tar.gz';
    const verify = (args: string[]) =>
      bonsai(['verify', archive, '--checksums', `dist/${SUMS}`, ...args], { cwd: dir });
    const ok = await verify(['--key', '../mini.pub']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const foreign = await verify(['--key', '../release.pub']);
    expect(foreign.code).toBe(1);
    expect(foreign.stdout).toContain('SIGNATURE_INVALID');
    const absent = await verify(['--key', '../mini.pub', '--signature', 'dist/none.minisig']);
    expect(absent.code).toBe(1);
    expect(absent.stdout).toContain('SIGNATURE_MISSING');
    await writeFile(path.join(dist, SUMS), (await readFile(path.join(dist, SUMS), 'utf8')) + '\n');
    const tampered = await verify(['--key', '../mini.pub']);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/SIGNATURE_INVALID .*does not match the file/);
    const usage = await bonsai(['verify', archive, '--key', '../mini.pub'], { cwd: dir });
    expect(usage.code).toBe(2);
  });
});

describe('signing: bad input', () => {
  it('refuses a missing key file (exit 2) and a file that is not a secret key (exit 1), writing nothing', async () => {
    const { root, dir } = await initProject();
    const missing = await bonsai(['pack', '--version', '1.0.0', '--sign', 'nope.key'], { cwd: dir });
    expect([missing.code, codesOf(missing)]).toEqual([2, ['SIGNING_KEY_UNREADABLE']]);
    await bonsai(['keygen'], { cwd: root });
    const pub = await bonsai(['pack', '--version', '1.0.0', '--sign', '../bonsai.pub'], { cwd: dir });
    expect([pub.code, codesOf(pub)]).toEqual([1, ['SIGNING_KEY_INVALID']]);
    const env = await bonsai(['pack', '--version', '1.0.0'], {
      cwd: dir,
      env: { BONSAI_SIGNING_KEY: 'garbage' },
    });
    expect([env.code, codesOf(env)]).toEqual([1, ['SIGNING_KEY_INVALID']]);
    expect(await listing(path.join(dir, 'dist'))).toEqual([]);
  });

  it('refuses a password-protected minisign key, saying how to get an unencrypted one', async () => {
    const { root, dir } = await initProject();
    // minisign -G without -W writes the same layout with KDF "Sc" (scrypt); its KDF costs seconds, so the
    // marker is set on a fresh key instead of running it.
    await bonsai(['keygen', '--key', 'plain.key', '--pub', 'plain.pub'], { cwd: root });
    const [comment, line] = (await readFile(path.join(root, 'plain.key'), 'utf8')).split('\n') as [
      string,
      string,
    ];
    const bytes = Buffer.from(line, 'base64');
    bytes.write('Sc', 2, 'latin1');
    await writeFile(path.join(root, 'enc.key'), `${comment}\n${bytes.toString('base64')}\n`);
    const run = await bonsai(['pack', '--version', '1.0.0', '--sign', '../enc.key'], { cwd: dir });
    expect(codesOf(run)).toEqual(['SIGNING_KEY_INVALID']);
    expect(run.stderr).toContain('password-protected');
  });

  it('refuses a --key that is not a public key', async () => {
    const { root, dir } = await initProject();
    await writeFile(path.join(root, 'x.pub'), 'hello\n');
    const run = await bonsai(['check', '--version', '1.0.0', '--key', '../x.pub'], { cwd: dir });
    expect([run.code, codesOf(run)]).toEqual([1, ['PUBLIC_KEY_INVALID']]);
    const absent = await bonsai(['check', '--version', '1.0.0', '--key', '../absent.pub'], { cwd: dir });
    expect(codesOf(absent)).toEqual(['PUBLIC_KEY_INVALID']);
  });
});
