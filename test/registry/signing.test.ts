import fs from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  formatPublicKey,
  generateKeyPair,
  keyIdHex,
  signMessage,
  type SecretKey,
} from '../../bonsai-schema/index.js';
import { bonsai } from '../cli/run-cli.js';
import { makeTempDir } from './support/databases.js';
import { bonsaiYml, publish, releaseFiles, type BuildSpec } from './support/fixtures.js';
import { ADMIN_TOKEN, startHarness, type Harness } from './support/harness.js';

/**
 * Keys per namespace (issue 17) through the real registry and the GitHub emulator: a keyed namespace
 * serves only versions whose checksum file is signed by a key it holds and has not revoked.
 */

const LINUX: BuildSpec[] = [{ platform: 'linux', arch: 'amd64', filters: ["entity.system.os == 'linux'"] }];
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

interface VersionStatus {
  version: string;
  state: string;
  errors: { code: string; message: string }[];
}

let h: Harness;
const owner = generateKeyPair();
const foreign = generateKeyPair();
const ownerId = keyIdHex(owner.keyId);

beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** Publishes `tag` with its checksum file signed by `key` (over `signedText` when given: a tampered file). */
async function release(
  fullName: string,
  tag: string,
  key: SecretKey | undefined,
  options: { signedText?: string; signedName?: string; yml?: string } = {},
) {
  const repo = fullName.split('/')[1]!;
  const made = await releaseFiles(repo, tag, LINUX);
  const files: Record<string, Buffer | string> = { ...made.files, [made.checksumName]: made.checksums };
  if (key) {
    files[`${made.checksumName}.minisig`] = signMessage(
      Buffer.from(options.signedText ?? made.checksums),
      key,
      {
        fileName: options.signedName ?? made.checksumName,
        timestamp: 1_700_000_000,
      },
    );
  }
  return publish(h.gh, fullName, tag, { builds: LINUX, yml: options.yml ?? bonsaiYml(LINUX), files });
}

async function status(fullName: string): Promise<Record<string, VersionStatus>> {
  const body = (await h.get(`/api/v1/assets/${fullName}/status`)).json() as { versions: VersionStatus[] };
  return Object.fromEntries(body.versions.map((v) => [v.version, v]));
}

async function served(fullName: string): Promise<string[]> {
  const asset = (await h.get(`/api/v1/assets/${fullName}`)).json() as { versions: { version: string }[] };
  return asset.versions.map((v) => v.version);
}

async function annotations(fullName: string, tag: string): Promise<Record<string, string>> {
  const res = await h.get(`/api/v1/assets/${fullName}/${tag}/release_asset_builds`);
  expect(res.status, res.text).toBe(200);
  return (res.json() as { metadata: { annotations: Record<string, string> } }).metadata.annotations;
}

const codes = (v: VersionStatus | undefined) => v?.errors.map((e) => e.code);

async function waitJobs(body: unknown) {
  for (const id of (body as { job_ids: number[] }).job_ids) await h.waitForJob(id);
}

describe('keys per namespace at ingest', () => {
  const repo = 'signers/tool';
  const other = 'plain/tool';

  it('serves every version of a namespace without keys, and ignores a signature claim in bonsai.yml', async () => {
    h.gh.state.createRepo(repo);
    h.gh.state.createRepo(other);
    const good = await release(repo, '1.0.0', owner);
    await release(repo, '1.1.0', undefined);
    await release(repo, '1.2.0', foreign);
    // Signed by the owner, but over other bytes than the checksum file the release carries.
    await release(repo, '1.3.0', owner, {
      signedText: 'f'.repeat(128) + '  tool_1.3.0_linux_amd64.tar.gz\n',
    });
    // Signed by the owner, but the signature of 1.0.0's checksum file replayed under 1.4.0.
    const made = await releaseFiles('tool', '1.4.0', LINUX);
    await publish(h.gh, repo, '1.4.0', {
      builds: LINUX,
      files: {
        ...made.files,
        [made.checksumName]: made.checksums,
        [`${made.checksumName}.minisig`]: signMessage(Buffer.from(made.checksums), owner, {
          fileName: 'tool_1.0.0_sha512-checksums.txt',
          timestamp: 1,
        }),
      },
    });
    await release(other, '1.0.0', undefined, {
      yml: bonsaiYml(LINUX, 'annotations:\n  signature: "forged"\n'),
    });
    await h.addRepo(repo);
    await h.addRepo(other);
    expect(await served(repo)).toEqual(['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0']);
    expect(await annotations(repo, '1.0.0')).not.toHaveProperty('io.sensu.bonsai.signature');
    expect(await annotations(other, '1.0.0')).not.toHaveProperty('io.sensu.bonsai.signature');
    expect(good.files['tool_1.0.0_sha512-checksums.txt.minisig']).toBeDefined();
  });

  it('after a key is added: signed → served with the annotations; unsigned, foreign, tampered, replayed → coded and withdrawn', async () => {
    const res = await h.post(
      '/api/v1/namespaces/signers/keys',
      { public_key: formatPublicKey(owner) },
      admin,
    );
    expect(res.status, res.text).toBe(201);
    expect(res.json()).toMatchObject({
      namespace: 'signers',
      key_id: ownerId,
      revoked_at: null,
      created: true,
    });
    await waitJobs(res.json());

    const s = await status(repo);
    expect(s['1.0.0']!.state).toBe('served');
    expect(codes(s['1.1.0'])).toEqual(['SIGNATURE_MISSING']);
    expect(codes(s['1.2.0'])).toEqual(['SIGNATURE_INVALID']);
    expect(s['1.2.0']!.errors[0]!.message).toContain(
      `signed by key ${keyIdHex(foreign.keyId)}, which is not trusted here`,
    );
    expect(codes(s['1.3.0'])).toEqual(['SIGNATURE_INVALID']);
    expect(s['1.3.0']!.errors[0]!.message).toContain('does not match the file');
    expect(codes(s['1.4.0'])).toEqual(['SIGNATURE_INVALID']);
    expect(s['1.4.0']!.errors[0]!.message).toContain('made for tool_1.0.0_sha512-checksums.txt');
    for (const tag of ['1.1.0', '1.2.0', '1.3.0', '1.4.0']) expect(s[tag]!.state).toBe('failed');
    expect(await served(repo)).toEqual(['1.0.0']);
    expect((await h.get(`/api/v1/assets/${repo}/1.1.0/release_asset_builds`)).status).toBe(404);

    const a = await annotations(repo, '1.0.0');
    expect(a['io.sensu.bonsai.signature']).toBe(ownerId);
    expect(a['io.sensu.bonsai.signature_url']).toMatch(/\/tool_1\.0\.0_sha512-checksums\.txt\.minisig$/);
    // Additive: Bonsai's annotations are all still there, in their order, first.
    expect(Object.keys(a).slice(0, 3)).toEqual([
      'io.sensu.bonsai.url',
      'io.sensu.bonsai.api_url',
      'io.sensu.bonsai.tier',
    ]);
    // Another namespace is not affected.
    expect(await served(other)).toEqual(['1.0.0']);
    // The asset page says who signed the version; an unsigned namespace's page says nothing of it.
    const html = { accept: 'text/html' };
    const page = (await h.get(`/assets/${repo}/versions/1.0.0`, html)).text;
    expect(page).toContain(`Signed by key <code>${ownerId}</code>`);
    expect(page).toMatch(/href="[^"]*tool_1\.0\.0_sha512-checksums\.txt\.minisig"/);
    expect((await h.get(`/assets/${other}/versions/1.0.0`, html)).text).not.toContain('Signed by key');

    const listed = await h.get('/api/v1/namespaces/signers/keys');
    expect(listed.status).toBe(200);
    expect((listed.json() as { keys: { key_id: string }[] }).keys.map((k) => k.key_id)).toEqual([ownerId]);
  });

  it('a version signed later is served at the next sync', async () => {
    await release(repo, '1.5.0', owner);
    await h.sync(repo);
    expect((await status(repo))['1.5.0']!.state).toBe('served');
    expect(await served(repo)).toEqual(['1.0.0', '1.5.0']);
  });

  it('bonsai add --verify-key accepts the signed version and refuses a registry serving a changed sha512', async () => {
    const dir = await makeTempDir('bonsai-verify-key-');
    // A registry (or proxy) in the middle that changes the sha512 of every definition it passes on.
    const tampering = createServer((req, res) => {
      void fetch(h.url + (req.url ?? '/'), { headers: { accept: 'application/json' } }).then(
        async (upstream) => {
          const text = (await upstream.text()).replace(/"sha512":"[0-9a-f]{8}/g, '"sha512":"00000000');
          res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(text);
        },
      );
    });
    await new Promise<void>((resolve) => tampering.listen(0, '127.0.0.1', resolve));
    try {
      await fs.writeFile(path.join(dir, 'owner.pub'), formatPublicKey(owner));
      await fs.writeFile(path.join(dir, 'foreign.pub'), formatPublicKey(foreign));
      const add = (args: string[], registry = h.url) =>
        bonsai(['add', ...args, '--registry', registry, '--format', 'json'], { cwd: dir });

      const ok = await add([`${repo}:1.5.0`, '--verify-key', 'owner.pub']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stderr).toContain(
        `verified: every build's sha512 is in tool_1.5.0_sha512-checksums.txt, signed by key ${ownerId}`,
      );
      expect(JSON.parse(ok.stdout)).toMatchObject({ metadata: { name: repo } });

      const changed = await add(
        [`${repo}:1.5.0`, '--verify-key', 'owner.pub'],
        `http://127.0.0.1:${(tampering.address() as AddressInfo).port}`,
      );
      expect([changed.code, changed.stdout]).toEqual([1, '']);
      expect(changed.stderr).toMatch(/error \[SIGNED_DIGEST_MISMATCH\]: the registry serves sha512 00000000/);

      const wrongKey = await add([`${repo}:1.5.0`, '--verify-key', 'foreign.pub']);
      expect([wrongKey.code, wrongKey.stderr]).toEqual([
        1,
        expect.stringContaining('error [SIGNATURE_INVALID]'),
      ]);
      // A version of a namespace without keys carries no signature to verify.
      const unsigned = await add([`${other}:1.0.0`, '--verify-key', 'owner.pub']);
      expect([unsigned.code, unsigned.stderr]).toEqual([
        1,
        expect.stringContaining('error [SIGNATURE_MISSING]'),
      ]);
      const badKey = await add([`${repo}:1.5.0`, '--verify-key', 'absent.pub']);
      expect(badKey.stderr).toContain('error [PUBLIC_KEY_INVALID]');
    } finally {
      await new Promise((resolve) => tampering.close(resolve));
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('revoking the key withdraws what it signed (SIGNATURE_INVALID, "revoked"); it cannot be added again', async () => {
    const res = await h.post(`/api/v1/namespaces/signers/keys/${ownerId}/revoke`, '', admin);
    expect(res.status, res.text).toBe(200);
    expect((res.json() as { revoked_at: string | null }).revoked_at).not.toBeNull();
    await waitJobs(res.json());
    const s = await status(repo);
    expect(codes(s['1.0.0'])).toEqual(['SIGNATURE_INVALID']);
    expect(s['1.0.0']!.errors[0]!.message).toContain(`signed by key ${ownerId}, which was revoked`);
    expect(s['1.0.0']!.state).toBe('failed');
    expect(await served(repo)).toEqual([]);

    const again = await h.post(
      '/api/v1/namespaces/signers/keys',
      { public_key: formatPublicKey(owner) },
      admin,
    );
    expect(again.status).toBe(409);
    expect(again.json()).toMatchObject({ error_code: 'KEY_REVOKED' });
  });

  it('REQUIRE_SIGNATURES=true makes every namespace need a signature', async () => {
    await h.stopRegistry();
    await h.startRegistry({ REQUIRE_SIGNATURES: 'true' });
    await h.sync(other);
    expect(codes((await status(other))['1.0.0'])).toEqual(['SIGNATURE_MISSING']);
    expect(await served(other)).toEqual([]);
    await h.stopRegistry();
    await h.startRegistry();
  });
});

describe('key routes: bad input', () => {
  it('adding and revoking need the admin token; bad keys, ids and namespaces are refused with codes', async () => {
    const pub = { public_key: formatPublicKey(foreign) };
    expect((await h.post('/api/v1/namespaces/acme/keys', pub)).status).toBe(401);
    expect(
      (await h.post('/api/v1/namespaces/acme/keys', pub, { authorization: 'Bearer wrong' })).status,
    ).toBe(401);
    expect((await h.post(`/api/v1/namespaces/acme/keys/${ownerId}/revoke`, '')).status).toBe(401);
    const bad = await h.post('/api/v1/namespaces/acme/keys', { public_key: 'RWQnope' }, admin);
    expect([bad.status, (bad.json() as { error_code: string }).error_code]).toEqual([400, 'KEY_INVALID']);
    const missing = await h.post('/api/v1/namespaces/acme/keys', {}, admin);
    expect([missing.status, (missing.json() as { error_code: string }).error_code]).toEqual([
      400,
      'INVALID_DATA',
    ]);
    const badNs = await h.post('/api/v1/namespaces/-x-/keys', pub, admin);
    expect(badNs.status).toBe(400);
    const badId = await h.post('/api/v1/namespaces/acme/keys/nothex/revoke', '', admin);
    expect(badId.status).toBe(400);
    const unknown = await h.post(`/api/v1/namespaces/acme/keys/${ownerId}/revoke`, '', admin);
    expect(unknown.status).toBe(404);
    // Adding the same key twice is idempotent.
    expect((await h.post('/api/v1/namespaces/acme/keys', pub, admin)).status).toBe(201);
    expect((await h.post('/api/v1/namespaces/acme/keys', pub, admin)).status).toBe(200);
  });
});

describe('bonsai registry key add | list | revoke', () => {
  it('manages keys in the store, as add-repo does', async () => {
    const dataDir = await makeTempDir('bonsai-keys-');
    try {
      const env = { DATA_DIR: dataDir };
      const file = path.join(dataDir, 'k.pub');
      await fs.writeFile(file, formatPublicKey(owner));
      const added = await bonsai(['registry', 'key', 'add', 'acme', '--file', file], { env, cwd: dataDir });
      expect(added.code, added.stderr).toBe(0);
      expect(added.stdout).toBe(`added key ${ownerId} for acme\n`);
      const list = await bonsai(['registry', 'key', 'list', 'acme', '--json'], { env, cwd: dataDir });
      expect(JSON.parse(list.stdout)).toMatchObject({
        keys: [{ namespace: 'acme', key_id: ownerId, revoked_at: null }],
      });
      const revoked = await bonsai(['registry', 'key', 'revoke', 'acme', ownerId.toLowerCase()], {
        env,
        cwd: dataDir,
      });
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toBe(`revoked key ${ownerId} of acme\n`);
      const text = await bonsai(['registry', 'key', 'list'], { env, cwd: dataDir });
      expect(text.stdout).toMatch(new RegExp(`^acme  ${ownerId}  revoked \\S+  RW`));

      const readded = await bonsai(['registry', 'key', 'add', 'acme', '--file', file], { env, cwd: dataDir });
      expect([readded.code, readded.stderr]).toEqual([1, expect.stringContaining('error [KEY_REVOKED]')]);
      const notKey = await bonsai(
        ['registry', 'key', 'add', 'acme', '--file', path.join(dataDir, 'nope.pub')],
        {
          env,
          cwd: dataDir,
        },
      );
      expect(notKey.stderr).toContain('error [KEY_INVALID]');
      const badId = await bonsai(['registry', 'key', 'revoke', 'acme', 'xyz'], { env, cwd: dataDir });
      expect(badId.stderr).toContain('error [INVALID_DATA]');
      const unknown = await bonsai(['registry', 'key', 'revoke', 'other', ownerId], { env, cwd: dataDir });
      expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('error [NOT_FOUND]')]);
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
