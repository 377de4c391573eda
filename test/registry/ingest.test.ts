import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db, Queryable } from '../../registry/db/port.js';
import { syncAsset } from '../../registry/ingest/sync.js';
import { findAsset } from '../../registry/store/assets.js';
import {
  DEFAULT_BUILDS,
  assetArchive,
  bonsaiYml,
  publish,
  releaseFiles,
  sha512,
  tarGz,
} from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { waitFor } from './support/wait.js';

/** Every way a release can fail to ingest (COMPAT §1, §2, §5), and what stays served when it does. */

interface VersionStatus {
  version: string;
  state: string;
  commit: string | null;
  errors: { code: string; message: string; line: number; column: number }[];
  warnings: { code: string; message: string; line: number }[];
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

let repoCount = 0;
/** A fresh repository for each case, registered, so cases never see each other's releases. */
async function newRepo(): Promise<string> {
  const fullName = `acme/check-${++repoCount}`;
  h.gh.state.createRepo(fullName);
  await h.addRepo(fullName);
  return fullName;
}

async function status(fullName: string): Promise<Record<string, VersionStatus>> {
  const body = (await h.get(`/api/v1/assets/${fullName}/status`)).json() as { versions: VersionStatus[] };
  return Object.fromEntries(body.versions.map((v) => [v.version, v]));
}

async function servedVersions(fullName: string): Promise<string[]> {
  const asset = (await h.get(`/api/v1/assets/${fullName}`)).json() as { versions: { version: string }[] };
  return asset.versions.map((v) => v.version);
}

const repoName = (fullName: string) => fullName.split('/')[1]!;

describe('the render of a sync', () => {
  /** `db`, recording what each statement returned (as JSON) into `returned`. */
  function recording(db: Db, returned: string[]): Db {
    const watch = (q: Queryable): Queryable => ({
      async query<T extends object>(sql: string, params?: Parameters<Queryable['query']>[1]) {
        const result = await q.query<T>(sql, params);
        returned.push(JSON.stringify(result.rows));
        return result;
      },
    });
    return { ...db, ...watch(db), transaction: (fn) => db.transaction((tx) => fn(watch(tx))) };
  }

  it('renders the new release only, and every version when GitHub changed what they embed', async () => {
    const repo = await newRepo();
    await publish(h.gh, repo, '1.0.0');
    await publish(h.gh, repo, '1.1.0');
    await h.sync(repo);
    const { db, syncDeps } = h.registry.runtime;
    const asset = (await findAsset(db, 'acme', repoName(repo)))!;
    // Another version's build is read only by a render of every version (its file name names its tag).
    const readsOldBuilds = (returned: string[]) => returned.some((rows) => rows.includes('_1.0.0_linux'));

    await publish(h.gh, repo, '1.2.0');
    const returned: string[] = [];
    await syncAsset({ ...syncDeps, db: recording(db, returned) }, asset.id, {
      force: false,
      conditional: false,
    });
    expect(readsOldBuilds(returned)).toBe(false);
    expect(await servedVersions(repo)).toEqual(['1.0.0', '1.1.0', '1.2.0']);

    h.gh.state.setDescription(repo, 'checks that changed their description');
    returned.length = 0;
    await syncAsset({ ...syncDeps, db: recording(db, returned) }, asset.id, {
      force: false,
      conditional: false,
    });
    expect(readsOldBuilds(returned)).toBe(true);
    const object = (await h.get(`/api/v1/assets/${repo}`)).json() as { description: string };
    expect(object.description).toBe('checks that changed their description');
  });
});

describe('a release that cannot be ingested is recorded with its errors and not served', () => {
  it('has no bonsai.yml', async () => {
    const repo = await newRepo();
    await publish(h.gh, repo, '1.0.0', { yml: null });
    await h.sync(repo);
    const v = (await status(repo))['1.0.0']!;
    expect(v.state).toBe('failed');
    expect(v.errors.map((e) => e.code)).toEqual(['CONFIG_NOT_FOUND']);
    expect(v.errors[0]!.message).toContain('cannot find a Bonsai configuration file');
    expect(await servedVersions(repo)).toEqual([]);
  });

  it('has a YAML error, reported at its line', async () => {
    const repo = await newRepo();
    const yml =
      '---\nbuilds:\n- platform: linux\n  arch: amd64\n asset_filename: x.tar.gz\n  sha_filename: x.txt\n';
    await publish(h.gh, repo, '1.0.0', { yml });
    await h.sync(repo);
    const [error] = (await status(repo))['1.0.0']!.errors;
    expect(error).toMatchObject({ code: 'YAML_SYNTAX', line: 5, column: 2 });
    expect(error!.message).toContain('cannot parse the Bonsai configuration file');
  });

  it('misses an asset file, reported at its asset_filename line', async () => {
    const repo = await newRepo();
    const missing = `${repoName(repo)}_1.0.0_windows_amd64.tar.gz`;
    await publish(h.gh, repo, '1.0.0', { files: { [missing]: null } });
    await h.sync(repo);
    const [error, ...more] = (await status(repo))['1.0.0']!.errors;
    expect(more).toEqual([]);
    expect(error).toMatchObject({ code: 'RELEASE_ASSET_MISSING', line: 13 });
    expect(error!.message).toContain(`missing GitHub release asset for ${missing}`);
    expect(await servedVersions(repo)).toEqual([]);
  });

  it('has a checksum file without the asset', async () => {
    const repo = await newRepo();
    const made = await releaseFiles(repoName(repo), '1.0.0');
    const linux = `${repoName(repo)}_1.0.0_linux_amd64.tar.gz`;
    // Two lines, neither for the Windows archive (with one line, Bonsai would use it for every file).
    const lines = `${sha512(made.files[linux]!)}  ${linux}\n${'0'.repeat(128)}  other.tar.gz\n`;
    await publish(h.gh, repo, '1.0.0', { files: { ...made.files, [made.checksumName]: lines } });
    await h.sync(repo);
    const errors = (await status(repo))['1.0.0']!.errors;
    expect(errors.map((e) => e.code)).toEqual(['CHECKSUM_NOT_FOUND']);
    expect(errors[0]!.message).toContain(
      `cannot extract the SHA for ${repoName(repo)}_1.0.0_windows_amd64.tar.gz`,
    );
  });

  it('has an artifact whose bytes do not match its checksum', async () => {
    const repo = await newRepo();
    const made = await releaseFiles(repoName(repo), '1.0.0');
    const linux = `${repoName(repo)}_1.0.0_linux_amd64.tar.gz`;
    // The checksum file is well-formed; the uploaded bytes (a good archive) are not the ones it lists.
    const other = await assetArchive('other');
    await publish(h.gh, repo, '1.0.0', {
      files: { ...made.files, [made.checksumName]: made.checksums, [linux]: other },
    });
    await h.sync(repo);
    const errors = (await status(repo))['1.0.0']!.errors;
    expect(errors.map((e) => e.code)).toEqual(['ARCHIVE_DIGEST_MISMATCH']);
    expect(errors[0]!.message).toContain(
      `the sha512 of ${linux} is ${sha512(other)}, but ${made.checksumName} gives ${sha512(made.files[linux]!)}`,
    );
    expect(await servedVersions(repo)).toEqual([]);
  });

  it('has one archive shared by two builds whose checksum files give different digests', async () => {
    const repo = await newRepo();
    const build = (platform: string) =>
      `- platform: ${platform}\n  arch: amd64\n  asset_filename: "#{repo}.tar.gz"\n` +
      `  sha_filename: "#{repo}_${platform}-sums.txt"\n`;
    const archive = await assetArchive('check');
    const name = `${repoName(repo)}.tar.gz`;
    await publish(h.gh, repo, '1.0.0', {
      yml: `builds:\n${build('linux')}${build('alpine')}`,
      files: {
        [name]: archive,
        [`${repoName(repo)}_linux-sums.txt`]: `${sha512(archive)}  ${name}\n`,
        [`${repoName(repo)}_alpine-sums.txt`]: `${sha512('other bytes')}  ${name}\n`,
      },
    });
    await h.sync(repo);
    const v = (await status(repo))['1.0.0']!;
    expect(v.state).toBe('failed');
    expect(v.errors).toEqual([
      expect.objectContaining({
        code: 'ARCHIVE_DIGEST_MISMATCH',
        file: `${repoName(repo)}_alpine-sums.txt`,
        line: 1,
        message: expect.stringContaining(`the sha512 of ${name} is ${sha512(archive)}, but`),
      }),
    ]);
    expect(await servedVersions(repo)).toEqual([]);
  });

  it('has one archive shared by a Windows and a Linux build that only Windows could run', async () => {
    const repo = await newRepo();
    const build = (platform: string) =>
      `- platform: ${platform}\n  arch: amd64\n  asset_filename: "#{repo}.tar.gz"\n  sha_filename: sums.txt\n`;
    const archive = await tarGz([{ name: 'bin/check.exe', mode: 0o644, content: 'MZ' }]);
    const name = `${repoName(repo)}.tar.gz`;
    await publish(h.gh, repo, '1.0.0', {
      yml: `builds:\n${build('windows')}${build('linux')}`,
      files: { [name]: archive, 'sums.txt': `${sha512(archive)}  ${name}\n` },
    });
    await h.sync(repo);
    const v = (await status(repo))['1.0.0']!;
    expect(v.errors.map((e) => e.code)).toEqual(['ARCHIVE_NOT_EXECUTABLE']);
    expect(await servedVersions(repo)).toEqual([]);
  });

  it.each([
    [
      'a zip named .tar.gz',
      async () => Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(300)]),
      'ARCHIVE_FORMAT_UNSUPPORTED',
    ],
    [
      'an entry that leaves the asset folder',
      () =>
        tarGz([
          { name: 'bin/x', mode: 0o755, content: 'x' },
          { name: '../../etc/cron.d/evil', content: 'x' },
        ]),
      'ARCHIVE_UNSAFE_PATH',
    ],
    [
      'a wrapping directory',
      () => tarGz([{ name: 'pkg-1.0/bin/x', mode: 0o755, content: 'x' }]),
      'ARCHIVE_WRAPPING_DIRECTORY',
    ],
    ['a truncated gzip', async () => (await assetArchive('x')).subarray(0, 60), 'ARCHIVE_CORRUPT'],
  ])('has %s, which the agent would refuse or mis-extract', async (_label, bytes, code) => {
    const repo = await newRepo();
    const made = await releaseFiles(repoName(repo), '1.0.0');
    const linux = `${repoName(repo)}_1.0.0_linux_amd64.tar.gz`;
    const files: Record<string, Buffer> = { ...made.files, [linux]: await bytes() };
    const checksums = Object.entries(files)
      .map(([n, b]) => `${sha512(b)}  ${n}\n`)
      .join('');
    await publish(h.gh, repo, '1.0.0', { files: { ...files, [made.checksumName]: checksums } });
    await h.sync(repo);
    const v = (await status(repo))['1.0.0']!;
    expect(v.state).toBe('failed');
    expect(v.errors.map((e) => e.code)).toContain(code);
    expect(v.errors.every((e) => (e as { file?: string }).file === linux)).toBe(true);
    expect(await servedVersions(repo)).toEqual([]);
  });

  it('has a checksum file over 1 MiB: a content error, logged once, not retried as a GitHub outage', async () => {
    const repo = await newRepo();
    const made = await releaseFiles(repoName(repo), '1.0.0');
    await publish(h.gh, repo, '1.0.0', { files: { [made.checksumName]: 'x'.repeat(1024 * 1024 + 1) } });
    await h.sync(repo); // the job completes: it would fail after JOB_ATTEMPTS if this were an outage
    const body = (await h.get(`/api/v1/assets/${repo}/status`)).json() as {
      versions: VersionStatus[];
      jobs: { attempts: number; last_error: string | null }[];
      log: { version: string; outcome: string }[];
    };
    expect(body.versions[0]!.errors.map((e) => e.code)).toEqual(['CHECKSUM_FILE_TOO_LARGE']);
    expect(body.versions[0]!.errors[0]!.message).toContain(
      `the checksum file ${made.checksumName} is larger`,
    );
    expect(body.jobs[0]).toMatchObject({ attempts: 1, last_error: null });
    expect(body.log.filter((e) => e.version === '1.0.0').map((e) => e.outcome)).toEqual(['failed']);
  });

  it('fails only the version a store error hits (INGEST_FAILED, details in the log), retried next sync', async () => {
    const repo = await newRepo();
    await publish(h.gh, repo, '1.0.0', { builds: [DEFAULT_BUILDS[1]!] });
    await publish(h.gh, repo, '1.1.0');
    const { db, syncDeps } = h.registry.runtime;
    const asset = await findAsset(db, ...(repo.split('/') as [string, string]));
    // The database refuses linux builds (NOT VALID: rows already stored are left alone): 1.1.0 only.
    await db.query(`ALTER TABLE builds ADD CONSTRAINT refuse_for_test CHECK (platform <> 'linux') NOT VALID`);
    try {
      const report = await syncAsset(syncDeps, asset!.id, { force: false, conditional: false });
      expect(report.versions.map((v) => [v.tag, v.outcome])).toEqual([
        ['1.1.0', 'failed'],
        ['1.0.0', 'ingested'],
      ]);
    } finally {
      await db.query('ALTER TABLE builds DROP CONSTRAINT refuse_for_test');
    }
    expect(await servedVersions(repo)).toEqual(['1.0.0']);
    const [error] = (await status(repo))['1.1.0']!.errors;
    expect(error).toMatchObject({ code: 'INGEST_FAILED' });
    expect(error!.message).toContain('1.1.0 could not be ingested: an unexpected error stopped it');
    // The database's own words stay in the log.
    expect(error!.message).not.toContain('refuse_for_test');
    expect(h.logs.some((l) => l.includes('refuse_for_test') && l.includes('1.1.0'))).toBe(true);
    await h.sync(repo);
    expect(await servedVersions(repo)).toEqual(['1.0.0', '1.1.0']);
  });

  it('has no git tag behind it', async () => {
    const repo = await newRepo();
    await publish(h.gh, repo, '1.0.0');
    h.gh.state.deleteTag(repo, '1.0.0');
    await h.sync(repo);
    const [error] = (await status(repo))['1.0.0']!.errors;
    expect(error!.code).toBe('RELEASE_TAG_NOT_FOUND');
    expect(error!.message).toContain('git push origin 1.0.0');
  });

  it('has a tag sensuctl cannot read', async () => {
    const repo = await newRepo();
    await publish(h.gh, repo, 'release-2024', {});
    await publish(h.gh, repo, '1.0.0', {});
    await h.sync(repo);
    const all = await status(repo);
    expect(all['release-2024']!.state).toBe('failed');
    expect(all['release-2024']!.errors.map((e) => e.code)).toEqual(['VERSION_UNPARSEABLE']);
    expect(await servedVersions(repo)).toEqual(['1.0.0']);
  });
});

describe('releases change on GitHub', () => {
  it('skips a draft until it is published', async () => {
    const repo = await newRepo();
    const draft = await publish(h.gh, repo, '1.0.0', { draft: true });
    await h.sync(repo);
    expect(await servedVersions(repo)).toEqual([]);
    expect((await status(repo))['1.0.0']).toBeUndefined();
    const [owner, name] = repo.split('/') as [string, string];
    await h.maintainer.rest.repos.updateRelease({
      owner,
      repo: name,
      release_id: draft.releaseId,
      draft: false,
    });
    await h.sync(repo);
    expect(await servedVersions(repo)).toEqual(['1.0.0']);
  });

  it('follows a moved tag to its new builds, and keeps the last good data when the new commit is broken', async () => {
    const repo = await newRepo();
    const first = await publish(h.gh, repo, '1.0.0');
    await h.sync(repo);
    const before = (await h.get(`/api/v1/assets/${repo}/1.0.0/release_asset_builds`)).text;

    // The tag moves to a commit whose bonsai.yml has other filters: the builds follow.
    const builds = DEFAULT_BUILDS.map((b) => ({
      ...b,
      filters: [...b.filters, "entity.system.platform != 'alpine'"],
    }));
    const moved = h.gh.state.commit(repo, { files: { 'bonsai.yml': bonsaiYml(builds) }, tag: '1.0.0' });
    await h.sync(repo);
    const after = (await h.get(`/api/v1/assets/${repo}/1.0.0/release_asset_builds`)).json() as {
      spec: { builds: { filters: string[] }[] };
    };
    expect(after.spec.builds[0]!.filters).toContain("entity.system.platform != 'alpine'");
    expect((await status(repo))['1.0.0']).toMatchObject({ state: 'served', commit: moved });
    expect(moved).not.toBe(first.commit);

    // Moved again, to a commit without bonsai.yml: an error is recorded, the last good data stays served.
    h.gh.state.commit(repo, { files: { 'bonsai.yml': null }, tag: '1.0.0' });
    await h.sync(repo);
    const stale = (await status(repo))['1.0.0']!;
    expect(stale).toMatchObject({ state: 'served-stale', commit: moved });
    expect(stale.errors.map((e) => e.code)).toEqual(['CONFIG_NOT_FOUND']);
    const served = await h.get(`/api/v1/assets/${repo}/1.0.0/release_asset_builds`);
    expect(served.status).toBe(200);
    expect(served.text).not.toBe(before);
    expect(served.json()).toEqual(after);
  });

  it('removes a deleted release from the API and keeps it in the store', async () => {
    const repo = await newRepo();
    await publish(h.gh, repo, '1.0.0');
    const gone = await publish(h.gh, repo, '1.1.0');
    await h.sync(repo);
    expect(await servedVersions(repo)).toEqual(['1.0.0', '1.1.0']);
    const [owner, name] = repo.split('/') as [string, string];
    await h.maintainer.rest.repos.deleteRelease({ owner, repo: name, release_id: gone.releaseId });
    await h.sync(repo);
    expect(await servedVersions(repo)).toEqual(['1.0.0']);
    expect((await h.get(`/api/v1/assets/${repo}/1.1.0/release_asset_builds`)).status).toBe(404);
    expect((await h.get(`/api/v1/assets/${repo}/latest/release_asset_builds`)).json()).toMatchObject({
      metadata: { annotations: { 'io.sensu.bonsai.version': '1.0.0' } },
    });
    expect((await status(repo))['1.1.0']).toMatchObject({ state: 'removed', commit: gone.commit });
  });

  it('reads every page of releases: one on page 3 is served', async () => {
    const repo = await newRepo();
    await publish(h.gh, repo, '0.1.0');
    // 200 newer releases push 0.1.0 to page 3 (GitHub lists newest first, 100 per page at most).
    for (let i = 0; i < 200; i++) h.gh.state.createRelease(repo, { tag_name: `nightly-${i}` });
    await h.sync(repo);
    expect(await servedVersions(repo)).toEqual(['0.1.0']);
    const pages = h.gh.requests
      .filter((r) => r.path === `/repos/${repo}/releases` || r.path.endsWith('/releases'))
      .map((r) => new URL(r.url, 'http://x').searchParams.get('page'));
    expect(pages).toContain('3');
  });

  it('follows annotated tags to their commit', async () => {
    const repo = await newRepo();
    const published = await publish(h.gh, repo, '2.0.0', { annotated: true });
    await h.sync(repo);
    expect((await status(repo))['2.0.0']).toMatchObject({ state: 'served', commit: published.commit });
  });

  it('syncs an unchanged repository with 41 releases in 3 requests: one listing of tag refs, not one per tag', async () => {
    const repo = await newRepo();
    const served = await publish(h.gh, repo, '1.0.0', { annotated: true });
    // 40 more releases whose commits have no bonsai.yml (cheap to make; they fail, then stay failing).
    for (let i = 1; i <= 40; i++) {
      h.gh.state.commit(repo, { files: { 'README.md': `${i}` }, tag: `2.0.${i}`, annotated: i % 2 === 0 });
      h.gh.state.createRelease(repo, { tag_name: `2.0.${i}` });
    }
    await h.sync(repo);
    const mark = h.gh.requests.length;
    await h.sync(repo);
    const api = h.gh.requests.slice(mark).filter((r) => r.origin === 'api');
    expect(api.map((r) => r.path)).toEqual([
      `/repos/${repo}/releases`,
      `/repos/${repo}`,
      `/repos/${repo}/git/matching-refs/tags`,
    ]);
    // The listing is asked conditionally: unchanged, it costs a 304 (free of rate limit on GitHub).
    expect(api.at(-1)?.status).toBe(304);
    const versions = await status(repo);
    expect(versions['1.0.0']).toMatchObject({ state: 'served', commit: served.commit });
    expect(Object.keys(versions)).toHaveLength(41);
  });

  it('follows a moved annotated tag: its new tag object is read once, then remembered', async () => {
    const repo = await newRepo();
    await publish(h.gh, repo, '1.0.0', { annotated: true });
    await h.sync(repo);
    const moved = h.gh.state.commit(repo, {
      files: { 'bonsai.yml': bonsaiYml() },
      tag: '1.0.0',
      annotated: true,
    });
    const mark = h.gh.requests.length;
    await h.sync(repo);
    expect((await status(repo))['1.0.0']).toMatchObject({ commit: moved });
    const tagReads = () => h.gh.requests.slice(mark).filter((r) => r.path.includes('/git/tags/'));
    expect(tagReads()).toHaveLength(1);
    await h.sync(repo);
    expect(tagReads()).toHaveLength(1);
  });

  it('does no work for unchanged releases, and a conditional read of an unchanged list costs a 304', async () => {
    const repo = await newRepo();
    await publish(h.gh, repo, '1.0.0');
    await h.sync(repo);
    const mark = h.gh.requests.length;
    await h.sync(repo);
    const again = h.gh.requests.slice(mark);
    expect(again.some((r) => r.path.includes('/releases/assets/'))).toBe(false);
    expect(again.some((r) => r.path.includes('/contents'))).toBe(false);

    const runtime = h.registry.runtime;
    const asset = await findAsset(runtime.db, ...(repo.split('/') as [string, string]));
    const before = h.gh.requests.length;
    const report = await syncAsset(runtime.syncDeps, asset!.id, { force: false, conditional: true });
    expect(report.notModified).toBe(true);
    expect(h.gh.requests.slice(before).map((r) => r.status)).toEqual([304]);
  });

  it('retries a release whose download failed, with backoff, until it is ingested', async () => {
    const repo = await newRepo();
    await publish(h.gh, repo, '1.0.0');
    h.gh.faults.inject({
      path: '/repos/:owner/:repo/releases/assets/:asset_id',
      times: 1,
      action: { kind: 'status', status: 502 },
    });
    await h.sync(repo);
    expect(await servedVersions(repo)).toEqual(['1.0.0']);
    const jobs = (
      (await h.get(`/api/v1/assets/${repo}/status`)).json() as {
        jobs: { attempts: number; last_error: string | null }[];
      }
    ).jobs;
    expect(jobs[0]).toMatchObject({ attempts: 2, last_error: null });
  });
});

describe('mirror mode', () => {
  let m: Harness;
  beforeAll(async () => {
    m = await startHarness({ env: { ARTIFACTS_MODE: 'mirror', MAX_ARTIFACT_SIZE: '1000' } });
  });
  afterAll(() => m?.close());

  it('serves verified copies under /artifacts/COMMIT/FILE and points the builds there', async () => {
    m.gh.state.createRepo('acme/mirrored');
    const published = await publish(m.gh, 'acme/mirrored', '1.0.0');
    await m.addRepo('acme/mirrored');
    const def = (await m.get('/api/v1/assets/acme/mirrored/1.0.0/release_asset_builds')).json() as {
      spec: { builds: { url: string; sha512: string }[] };
    };
    const base = m.registry.runtime.urls.publicUrl;
    const name = 'mirrored_1.0.0_linux_amd64.tar.gz';
    expect(def.spec.builds[0]!.url).toBe(`${base}/artifacts/${published.commit}/${name}`);
    const res = await fetch(`${m.url}/artifacts/${published.commit}/${name}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(sha512(bytes)).toBe(published.files[name]!.sha512);
    expect(sha512(bytes)).toBe(def.spec.builds[0]!.sha512);
    // Nothing half-written is left behind, and nothing outside the mirror is served.
    expect(await fs.readdir(path.join(m.env.DATA_DIR!, 'artifacts', '.partial'))).toEqual([]);
    expect((await m.get(`/artifacts/${published.commit}/..%2F..%2Fpglite.lock`)).status).toBe(404);
    expect((await m.get('/artifacts/not-a-commit/x')).status).toBe(404);
  });

  const mirrored = (commit: string, file: string) => path.join(m.env.DATA_DIR!, 'artifacts', commit, file);
  const partials = () => fs.readdir(path.join(m.env.DATA_DIR!, 'artifacts', '.partial'));
  const download = async (url: string) => {
    const res = await fetch(url);
    return { status: res.status, sha512: sha512(Buffer.from(await res.arrayBuffer())) };
  };

  it('never changes the bytes at a mirrored URL: a file re-uploaded with other bytes fails the version', async () => {
    m.gh.state.createRepo('acme/reuploaded');
    const published = await publish(m.gh, 'acme/reuploaded', '1.0.0');
    await m.addRepo('acme/reuploaded');
    const definition = `/api/v1/assets/acme/reuploaded/1.0.0/release_asset_builds`;
    const before = (await m.get(definition)).text;
    const name = 'reuploaded_1.0.0_linux_amd64.tar.gz';
    const url = `${m.url}/artifacts/${published.commit}/${name}`;
    expect(await download(url)).toEqual({ status: 200, sha512: published.files[name]!.sha512 });

    // Same tag, same commit: the archive is replaced by other (valid) bytes, and the checksum file too.
    const sums = 'reuploaded_1.0.0_sha512-checksums.txt';
    const other = await assetArchive('reuploaded');
    const windows = 'reuploaded_1.0.0_windows_amd64.tar.gz';
    const windowsBytes = m.gh.state.assetBytes(published.files[windows]!.id);
    for (const file of [name, sums])
      await m.maintainer.rest.repos.deleteReleaseAsset({
        owner: 'acme',
        repo: 'reuploaded',
        asset_id: published.files[file]!.id,
      });
    m.gh.state.addAsset(published.releaseId, { name, data: other });
    m.gh.state.addAsset(published.releaseId, {
      name: sums,
      data: `${sha512(other)}  ${name}\n${sha512(windowsBytes)}  ${windows}\n`,
    });
    await m.sync('acme/reuploaded');

    const v = ((await m.get('/api/v1/assets/acme/reuploaded/status')).json() as { versions: VersionStatus[] })
      .versions[0]!;
    expect(v.state).toBe('served-stale');
    expect(v.errors.map((e) => e.code)).toEqual(['ARTIFACT_CHANGED']);
    expect(v.errors[0]!.message).toContain(`${name} changed under commit ${published.commit}`);
    expect(v.errors[0]!.message).toContain('publish a new tag');
    // The old definition and the old bytes are still what is served.
    expect((await m.get(definition)).text).toBe(before);
    expect(await download(url)).toEqual({ status: 200, sha512: published.files[name]!.sha512 });
    expect(await partials()).toEqual([]);
  });

  it('publishes mirrored files only once their version is saved, and never touches served ones', async () => {
    m.gh.state.createRepo('acme/rolled-back');
    await m.addRepo('acme/rolled-back');
    const first = await publish(m.gh, 'acme/rolled-back', '1.0.0');
    const { db, syncDeps } = m.registry.runtime;
    const asset = (await findAsset(db, 'acme', 'rolled-back'))!;
    await syncAsset(syncDeps, asset.id, { force: false, conditional: false });
    const served = mirrored(first.commit, 'rolled-back_1.0.0_linux_amd64.tar.gz');
    const { ino } = await fs.stat(served);

    // The database refuses every new build row: each version's transaction rolls back.
    await db.query(`ALTER TABLE builds ADD CONSTRAINT refuse_for_test CHECK (platform <> 'linux') NOT VALID`);
    let second: Awaited<ReturnType<typeof publish>>;
    try {
      // 1.0.0 again (forced): the same bytes are already served, so its file is left alone.
      const forced = await syncAsset(syncDeps, asset.id, { force: true, conditional: false });
      expect(forced.versions.map((v) => [v.tag, v.outcome, v.diagnostics[0]?.code])).toEqual([
        ['1.0.0', 'failed', 'INGEST_FAILED'],
      ]);
      expect((await fs.stat(served)).ino).toBe(ino);
      // 1.1.0, new: nothing of it reaches the mirror.
      second = await publish(m.gh, 'acme/rolled-back', '1.1.0');
      const next = await syncAsset(syncDeps, asset.id, { force: false, conditional: false });
      expect(next.versions.map((v) => [v.tag, v.outcome])).toEqual([
        ['1.1.0', 'failed'],
        ['1.0.0', 'unchanged'],
      ]);
    } finally {
      await db.query('ALTER TABLE builds DROP CONSTRAINT refuse_for_test');
    }
    const name = 'rolled-back_1.1.0_linux_amd64.tar.gz';
    expect((await m.get(`/artifacts/${second.commit}/${name}`)).status).toBe(404);
    await expect(fs.stat(mirrored(second.commit, name))).rejects.toThrow('ENOENT');
    expect(await partials()).toEqual([]);

    await syncAsset(syncDeps, asset.id, { force: false, conditional: false });
    expect(await download(`${m.url}/artifacts/${second.commit}/${name}`)).toEqual({
      status: 200,
      sha512: second.files[name]!.sha512,
    });
  });

  it('refuses an artifact larger than MAX_ARTIFACT_SIZE and keeps no copy', async () => {
    m.gh.state.createRepo('acme/too-big');
    const made = await releaseFiles('too-big', '1.0.0');
    const big = Buffer.alloc(5000, 1);
    const linux = 'too-big_1.0.0_linux_amd64.tar.gz';
    const files = { ...made.files, [linux]: big };
    const checksums = Object.entries(files)
      .map(([n, b]) => `${sha512(b)}  ${n}\n`)
      .join('');
    const published = await publish(m.gh, 'acme/too-big', '1.0.0', {
      files: { ...files, [made.checksumName]: checksums },
    });
    await m.addRepo('acme/too-big');
    const v = ((await m.get('/api/v1/assets/acme/too-big/status')).json() as { versions: VersionStatus[] })
      .versions[0]!;
    expect(v.state).toBe('failed');
    expect(v.errors.map((e) => e.code)).toEqual(['ARTIFACT_TOO_LARGE']);
    expect(v.errors[0]!.message).toContain('MAX_ARTIFACT_SIZE');
    await expect(fs.stat(path.join(m.env.DATA_DIR!, 'artifacts', published.commit, linux))).rejects.toThrow();
  });
});

describe('the poller', () => {
  let p: Harness;
  beforeAll(async () => {
    p = await startHarness({ env: { POLL_INTERVAL: '1' } });
  });
  afterAll(() => p?.close());

  it('finds a new release without any trigger, asking GitHub conditionally', async () => {
    p.gh.state.createRepo('acme/polled');
    await p.addRepo('acme/polled');
    await publish(p.gh, 'acme/polled', '1.0.0');
    await waitFor('the poller to ingest 1.0.0', async () => {
      const asset = (await p.get('/api/v1/assets/acme/polled')).json() as { versions: { version: string }[] };
      return asset.versions.some((v) => v.version === '1.0.0');
    });
    // Our own downloads changed the assets' download counts, so the next poll re-reads the list (and
    // finds every release unchanged); from then on, each poll is one conditional request answered 304.
    const list = '/repos/acme/polled/releases';
    const answered304 = (from: number) =>
      p.gh.requests.slice(from).filter((r) => r.path === list && r.status === 304);
    await waitFor('a poll answered 304', () => answered304(0).length >= 1);
    const mark = p.gh.requests.length;
    await waitFor('two more polls', () => answered304(mark).length >= 2);
    const since = p.gh.requests.slice(mark);
    expect(since.every((r) => r.status === 304 && r.path === list)).toBe(true);
  });
});
