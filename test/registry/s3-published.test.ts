import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAsset } from '../../registry/store/assets.js';
import { versionDefinition } from '../../registry/store/versions.js';
import { DEFAULT_BUILDS, bonsaiYml, publish, sha512, type Published } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { startTestS3, type TestS3 } from './support/s3-server.js';

/**
 * The `published` marker of mirrored copies: a version is served only once every copy is confirmed in the
 * artifact store (a bucket, or the disk); a copy that failed, midway through its upload or after the
 * version's commit, leaves the version unserved and shown as failing, and the next sync completes it.
 */

interface VersionStatus {
  version: string;
  state: string;
  commit: string | null;
  errors: { code: string; message: string }[];
}

const status = async (h: Harness, fullName: string) =>
  ((await h.get(`/api/v1/assets/${fullName}/status`)).json() as { versions: VersionStatus[] }).versions;
const listed = async (h: Harness, fullName: string) =>
  ((await h.get(`/api/v1/assets/${fullName}`)).json() as { versions?: { version: string }[] }).versions ?? [];
const download = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, sha512: sha512(Buffer.from(await res.arrayBuffer())) };
};

/** The version is recorded, failing with ARTIFACT_STORE_FAILED, and in no API answer. */
async function expectUnserved(h: Harness, repo: string, says: string): Promise<VersionStatus> {
  const v = (await status(h, repo))[0]!;
  expect(v.state).toBe('failed');
  expect(v.errors.map((e) => e.code)).toEqual(['ARTIFACT_STORE_FAILED']);
  expect(v.errors[0]!.message).toContain(says);
  expect(v.errors[0]!.message).toContain('the next sync tries again');
  expect((await h.get(`/api/v1/assets/${repo}/1.0.0/release_asset_builds`)).status).toBe(404);
  expect(await listed(h, repo)).toEqual([]);
  return v;
}

/** Every build URL of the definition `text` is under `commit` and gives the bytes of its sha512. */
async function expectDownloads(h: Harness, text: string, commit: string): Promise<void> {
  const def = JSON.parse(text) as { spec: { builds: { url: string; sha512: string }[] } };
  for (const build of def.spec.builds) {
    expect(build.url).toContain(`/${commit}/`);
    expect(await download(build.url.replace(h.registry.runtime.urls.publicUrl, h.url))).toEqual({
      status: 200,
      sha512: build.sha512,
    });
  }
}

/** The next sync completes it: served, and its build URL gives the bytes of the definition's sha512. */
async function expectServedAfterSync(h: Harness, repo: string, commit: string): Promise<void> {
  await h.sync(repo);
  const v = (await status(h, repo))[0]!;
  expect(v).toMatchObject({ state: 'served', errors: [] });
  expect((await listed(h, repo)).map((x) => x.version)).toEqual(['1.0.0']);
  await expectDownloads(h, (await h.get(`/api/v1/assets/${repo}/1.0.0/release_asset_builds`)).text, commit);
}

describe('ARTIFACTS_MODE=s3: a copy not confirmed in the bucket', () => {
  let s3: TestS3;
  let h: Harness;
  const PREFIX = 'published';
  beforeAll(async () => {
    s3 = await startTestS3();
    h = await startHarness({ env: s3.env(PREFIX) });
  });
  afterAll(async () => {
    await h?.close();
    await s3?.close();
  });

  /** Runs `action` while the bucket fails as `fault` says, and checks that the fault was met. */
  async function whileFailing(fault: NonNullable<TestS3['fault']>, action: () => Promise<void>) {
    s3.fault = fault;
    s3.broken = 0;
    try {
      await action();
    } finally {
      s3.fault = undefined;
    }
    expect(s3.broken, fault).toBeGreaterThan(0);
  }

  /** Publishes REPO 1.0.0 and registers it while the bucket fails as `fault` says. */
  async function addWhileFailing(repo: string, fault: NonNullable<TestS3['fault']>): Promise<Published> {
    h.gh.state.createRepo(repo);
    const published = await publish(h.gh, repo, '1.0.0');
    await whileFailing(fault, () => h.addRepo(repo));
    return published;
  }

  it('an upload failing midway leaves the version unserved, and the next sync completes it', async () => {
    const published = await addWhileFailing('acme/cut', 'cut-upload');
    await expectUnserved(h, 'acme/cut', `s3://${s3.bucket}/${PREFIX}/${published.commit}/`);
    expect((await s3.keys()).filter((k) => k.includes(published.commit))).toEqual([]);

    await expectServedAfterSync(h, 'acme/cut', published.commit);
    expect((await s3.keys()).filter((k) => k.includes('.partial'))).toEqual([]);
  });

  it('a copy the bucket refuses after the version was saved leaves it unserved until a sync publishes it', async () => {
    const published = await addWhileFailing('acme/copy', 'refuse-copy');
    // The ingest was committed (its commit is recorded), but its copies are not at their keys.
    const v = await expectUnserved(h, 'acme/copy', `cannot publish s3://${s3.bucket}/${PREFIX}/`);
    expect(v.commit).toBe(published.commit);
    expect((await h.get(`/artifacts/${published.commit}/copy_1.0.0_linux_amd64.tar.gz`)).status).toBe(404);

    await expectServedAfterSync(h, 'acme/copy', published.commit);
    expect((await s3.keys()).filter((k) => k.includes('.partial'))).toEqual([]);
  });

  it('keeps serving the previous definition until every new copy is published, then switches at once', async () => {
    const repo = 'acme/moved';
    h.gh.state.createRepo(repo);
    const first = await publish(h.gh, repo, '1.0.0');
    await h.addRepo(repo);
    const definition = `/api/v1/assets/${repo}/1.0.0/release_asset_builds`;
    const before = (await h.get(definition)).text;
    // What any replica reads on a cache miss: the stored render.
    const asset = (await findAsset(h.registry.runtime.db, 'acme', 'moved'))!;
    const stored = async () => (await versionDefinition(h.registry.runtime.db, asset.id, '1.0.0'))?.body;
    expect(await stored()).toBe(before);

    // The tag moves to a commit with other filters: same release files, new copies under the new commit.
    const builds = DEFAULT_BUILDS.map((b) => ({ ...b, filters: [...b.filters, "entity.system.os != 'x'"] }));
    const moved = h.gh.state.commit(repo, { files: { 'bonsai.yml': bonsaiYml(builds) }, tag: '1.0.0' });
    for (const fault of ['cut-upload', 'refuse-copy'] as const) {
      await whileFailing(fault, () => h.sync(repo));
      // The previous, complete definition stays served, and says so; nothing is under the new commit.
      const v = (await status(h, repo))[0]!;
      expect(v, fault).toMatchObject({ state: 'served-stale', commit: first.commit });
      expect(v.errors.map((e) => e.code)).toEqual(['ARTIFACT_STORE_FAILED']);
      expect(v.errors[0]!.message).toContain('the next sync tries again');
      expect((await h.get(definition)).text).toBe(before);
      expect(await stored()).toBe(before);
      expect((await listed(h, repo)).map((x) => x.version)).toEqual(['1.0.0']);
      expect((await s3.keys()).filter((k) => k.includes(moved))).toEqual([]);
      await expectDownloads(h, before, first.commit);
    }

    // The next sync publishes every copy (slowly), then switches: the version is never missing meanwhile.
    const seen = new Set<string>();
    await whileFailing('slow-copy', async () => {
      let syncing = true;
      const watching = (async () => {
        while (syncing) {
          const body = await stored();
          seen.add(body === undefined ? 'missing' : body === before ? 'old' : 'new');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      try {
        await h.sync(repo);
      } finally {
        syncing = false;
        await watching;
      }
    });
    // Read while the copies were being published: the old definition, never none.
    expect(seen.has('old')).toBe(true);
    expect(seen.has('missing')).toBe(false);
    expect((await status(h, repo))[0]).toMatchObject({ state: 'served', commit: moved, errors: [] });
    const after = (await h.get(definition)).text;
    expect(after).toContain("entity.system.os != 'x'");
    expect(await stored()).toBe(after);
    await expectDownloads(h, after, moved);
    expect((await s3.keys()).filter((k) => k.includes('.partial'))).toEqual([]);
  });
});

describe('ARTIFACTS_MODE=mirror: a copy not confirmed on disk', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { ARTIFACTS_MODE: 'mirror' } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('a copy that cannot be published after the version was saved leaves it unserved until a sync publishes it', async () => {
    h.gh.state.createRepo('acme/disk');
    const published = await publish(h.gh, 'acme/disk', '1.0.0');
    // A file where the commit's folder goes: the copies cannot be linked into place (a disk error).
    const folder = path.join(h.env.DATA_DIR!, 'artifacts', published.commit);
    await fs.writeFile(folder, 'in the way');
    await h.addRepo('acme/disk');
    const v = await expectUnserved(h, 'acme/disk', `cannot publish ${published.commit}/`);
    expect(v.commit).toBe(published.commit);
    expect(await fs.readdir(path.join(h.env.DATA_DIR!, 'artifacts', '.partial'))).toEqual([]);

    await fs.rm(folder);
    await expectServedAfterSync(h, 'acme/disk', published.commit);
    const name = 'disk_1.0.0_linux_amd64.tar.gz';
    expect(sha512(await fs.readFile(path.join(folder, name)))).toBe(published.files[name]!.sha512);
  });
});
