import net from 'node:net';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetArchive, publish, sha512 } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { startTestS3, type TestS3 } from './support/s3-server.js';
import { relay } from './support/tcp-relay.js';

/**
 * ARTIFACTS_MODE=s3 against a real S3-compatible server (s3rver, from npm): verified copies in a bucket
 * under PREFIX/COMMIT/FILE, written once, served through a presigned redirect.
 */

interface VersionStatus {
  version: string;
  state: string;
  errors: { code: string; message: string }[];
}

const BUCKET = 'bonsai-artifacts';
const PREFIX = 'mirror/v1';
let testS3: TestS3;
let s3: TestS3['client'];
let endpoint: string;
let h: Harness;
/** Every object written in the bucket (s3rver's notifications): a copy written once shows up once. */
let created: string[];

beforeAll(async () => {
  testS3 = await startTestS3(BUCKET);
  ({ client: s3, endpoint, created } = testS3);
  h = await startHarness({ env: testS3.env(`/${PREFIX}/`) });
});
afterAll(async () => {
  await h?.close();
  await testS3?.close();
});

const status = async (fullName: string) =>
  ((await h.get(`/api/v1/assets/${fullName}/status`)).json() as { versions: VersionStatus[] }).versions;
const download = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, sha512: sha512(Buffer.from(await res.arrayBuffer())) };
};
const keys = () => testS3.keys();

describe('ARTIFACTS_MODE=s3', () => {
  it('stores verified copies under PREFIX/COMMIT/FILE and serves them through a presigned redirect', async () => {
    h.gh.state.createRepo('acme/stored');
    const published = await publish(h.gh, 'acme/stored', '1.0.0');
    await h.addRepo('acme/stored');
    const def = (await h.get('/api/v1/assets/acme/stored/1.0.0/release_asset_builds')).json() as {
      spec: { builds: { url: string; sha512: string }[] };
    };
    const name = 'stored_1.0.0_linux_amd64.tar.gz';
    const build = def.spec.builds[0]!;
    expect(build.url).toBe(`${h.registry.runtime.urls.publicUrl}/artifacts/${published.commit}/${name}`);

    // The registry answers with a short-lived signed URL of the bucket (a private bucket works).
    const redirect = await h.get(`/artifacts/${published.commit}/${name}`);
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location')!;
    expect(location.startsWith(`${endpoint}/${BUCKET}/${PREFIX}/${published.commit}/${name}?`)).toBe(true);
    expect(location).toContain('X-Amz-Signature=');
    expect(redirect.headers.get('cache-control')).toBe('no-store');
    expect(await download(`${h.url}/artifacts/${published.commit}/${name}`)).toEqual({
      status: 200,
      sha512: published.files[name]!.sha512,
    });
    expect(build.sha512).toBe(published.files[name]!.sha512);

    const object = await s3.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/${published.commit}/${name}` }),
    );
    expect(object.Metadata?.sha512).toBe(published.files[name]!.sha512);
    expect(object.CacheControl).toBe('public, max-age=31536000, immutable');
    expect(object.ContentType).toBe('application/gzip');
    // No upload in progress is left behind.
    expect((await keys()).filter((k) => k.includes('.partial'))).toEqual([]);

    expect((await h.get(`/artifacts/${published.commit}/..%2Fx`)).status).toBe(404);
    expect((await h.get(`/artifacts/${published.commit}/missing.tar.gz`)).status).toBe(404);
    expect((await h.get('/artifacts/not-a-commit/x')).status).toBe(404);
  });

  it('writes an object once: the same bytes again are compared, not uploaded; other bytes fail with ARTIFACT_CHANGED', async () => {
    h.gh.state.createRepo('acme/reuploaded');
    const published = await publish(h.gh, 'acme/reuploaded', '1.0.0');
    await h.addRepo('acme/reuploaded');
    const name = 'reuploaded_1.0.0_linux_amd64.tar.gz';
    const key = `${PREFIX}/${published.commit}/${name}`;
    const url = `${h.url}/artifacts/${published.commit}/${name}`;
    const definition = '/api/v1/assets/acme/reuploaded/1.0.0/release_asset_builds';
    const before = (await h.get(definition)).text;
    const sums = 'reuploaded_1.0.0_sha512-checksums.txt';
    const windows = 'reuploaded_1.0.0_windows_amd64.tar.gz';
    const windowsBytes = h.gh.state.assetBytes(published.files[windows]!.id);
    const replace = async (data: Buffer) => {
      for (const file of [name, sums])
        await h.maintainer.rest.repos.deleteReleaseAsset({
          owner: 'acme',
          repo: 'reuploaded',
          asset_id: published.files[file]!.id,
        });
      const asset = h.gh.state.addAsset(published.releaseId, { name, data });
      const sumsAsset = h.gh.state.addAsset(published.releaseId, {
        name: sums,
        data: `${sha512(data)}  ${name}\n${sha512(windowsBytes)}  ${windows}\n`,
      });
      published.files[name]!.id = asset.id;
      published.files[sums]!.id = sumsAsset.id;
    };

    // The same bytes uploaded again on GitHub: ingested again, nothing written to the bucket.
    const original = h.gh.state.assetBytes(published.files[name]!.id);
    const writes = created.length;
    await replace(Buffer.from(original));
    await h.sync('acme/reuploaded');
    expect((await status('acme/reuploaded'))[0]!.errors).toEqual([]);
    expect(created.slice(writes)).toEqual([]);

    // Other bytes under the same commit: the version fails, the object and the definition stay.
    await replace(await assetArchive('reuploaded'));
    await h.sync('acme/reuploaded');
    const v = (await status('acme/reuploaded'))[0]!;
    expect(v.state).toBe('served-stale');
    expect(v.errors.map((e) => e.code)).toEqual(['ARTIFACT_CHANGED']);
    expect(created.slice(writes).filter((k) => k === key)).toEqual([]);
    expect((await h.get(definition)).text).toBe(before);
    expect(await download(url)).toEqual({ status: 200, sha512: published.files[name]!.sha512 });
    expect((await keys()).filter((k) => k.includes('.partial'))).toEqual([]);
  });

  it('points build URLs at ARTIFACTS_URL (a CDN or the public bucket) when it is set', async () => {
    const publicBase = `${endpoint}/${BUCKET}/${PREFIX}`;
    await h.stopRegistry();
    await h.startRegistry({ ARTIFACTS_URL: publicBase });
    try {
      h.gh.state.createRepo('acme/cdn');
      const published = await publish(h.gh, 'acme/cdn', '1.0.0');
      await h.addRepo('acme/cdn');
      const def = (await h.get('/api/v1/assets/acme/cdn/1.0.0/release_asset_builds')).json() as {
        spec: { builds: { url: string; sha512: string }[] };
      };
      const name = 'cdn_1.0.0_linux_amd64.tar.gz';
      expect(def.spec.builds[0]!.url).toBe(`${publicBase}/${published.commit}/${name}`);
      expect(await download(def.spec.builds[0]!.url)).toEqual({
        status: 200,
        sha512: published.files[name]!.sha512,
      });
    } finally {
      await h.stopRegistry();
      await h.startRegistry();
    }
  });

  it('signs presigned redirects for S3_PUBLIC_ENDPOINT, the address clients reach the bucket at', async () => {
    // Another address of the same server, as MinIO's published port is of the compose-internal one.
    const outside = await relay(new URL(endpoint));
    const publicEndpoint = `http://127.0.0.1:${outside.port}`;
    await h.stopRegistry();
    await h.startRegistry({ S3_PUBLIC_ENDPOINT: `${publicEndpoint}/` });
    h.gh.state.createRepo('acme/outside');
    const published = await publish(h.gh, 'acme/outside', '1.0.0');
    const name = 'outside_1.0.0_linux_amd64.tar.gz';
    const artifact = `/artifacts/${published.commit}/${name}`;
    try {
      await h.addRepo('acme/outside');
      const redirect = await h.get(artifact);
      expect(redirect.status).toBe(302);
      const location = redirect.headers.get('location')!;
      expect(location.startsWith(`${publicEndpoint}/${BUCKET}/${PREFIX}/${published.commit}/${name}?`)).toBe(
        true,
      );
      // The signature covers the public host: the download through it is accepted, with the defined bytes.
      const def = (await h.get('/api/v1/assets/acme/outside/1.0.0/release_asset_builds')).json() as {
        spec: { builds: { url: string; sha512: string }[] };
      };
      expect(await download(location)).toEqual({ status: 200, sha512: def.spec.builds[0]!.sha512 });
      expect(def.spec.builds[0]!.sha512).toBe(published.files[name]!.sha512);
      // The start-up line says where redirects go; the registry itself still reads and writes through S3_ENDPOINT.
      expect(h.logs.some((l) => l.includes(`(redirects signed for ${publicEndpoint})`))).toBe(true);
      expect((await keys()).some((k) => k === `${PREFIX}/${published.commit}/${name}`)).toBe(true);
    } finally {
      await h.stopRegistry();
      await h.startRegistry();
      await outside.close();
    }
    // Without it, redirects are signed for S3_ENDPOINT, as before.
    expect((await h.get(artifact)).headers.get('location')!.startsWith(`${endpoint}/${BUCKET}/`)).toBe(true);
  });

  it('a store that refuses or cannot be reached fails the version with ARTIFACT_STORE_FAILED, and a later sync completes it', async () => {
    const closed = await freePort();
    const cases: { repo: string; env: Record<string, string>; says: string }[] = [
      { repo: 'acme/no-bucket', env: { S3_BUCKET: 'no-such-bucket' }, says: 'NoSuchBucket' },
      {
        repo: 'acme/unreachable',
        env: { S3_ENDPOINT: `http://127.0.0.1:${closed}` },
        says: `127.0.0.1:${closed}`,
      },
    ];
    for (const c of cases) {
      await h.stopRegistry();
      await h.startRegistry(c.env);
      h.gh.state.createRepo(c.repo);
      await publish(h.gh, c.repo, '1.0.0');
      await h.addRepo(c.repo);
      const v = (await status(c.repo))[0]!;
      expect(v.state).not.toMatch(/^served/);
      expect(v.errors.map((e) => e.code)).toEqual(['ARTIFACT_STORE_FAILED']);
      expect(v.errors[0]!.message).toContain(c.says);
      expect(v.errors[0]!.message).toContain('the next sync tries again');
      expect((await h.get(`/api/v1/assets/${c.repo}/1.0.0/release_asset_builds`)).status).toBe(404);
      // The registry keeps answering.
      expect((await h.get('/api/v1/assets/acme/stored/1.0.0/release_asset_builds')).status).toBe(200);
    }
    await h.stopRegistry();
    await h.startRegistry();
    for (const c of cases) {
      await h.sync(c.repo);
      expect((await status(c.repo))[0]!.errors).toEqual([]);
      expect((await h.get(`/api/v1/assets/${c.repo}/1.0.0/release_asset_builds`)).status).toBe(200);
    }
    expect((await keys()).filter((k) => k.includes('.partial'))).toEqual([]);
  });
});

/** A port nothing listens on (taken, then released). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
