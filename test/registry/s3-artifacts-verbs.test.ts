import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bonsai } from '../cli/run-cli.js';
import { publish, sha512, type Published } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { startTestS3, type TestS3 } from './support/s3-server.js';

/**
 * `bonsai registry artifacts verify` re-reads the stored copies (disk or bucket) and compares them with the
 * sha512 recorded at ingest; `bonsai registry artifacts migrate --to s3` copies DATA_DIR/artifacts into a
 * bucket, write-once and idempotent.
 */

interface VerifyJson {
  checked: number;
  intact: number;
  problems: { asset: string; version: string; path: string; problem: string; found_sha512?: string }[];
}
interface MigrateJson {
  files: number;
  copied: number;
  present: number;
  problems: { path: string; problem: string }[];
}

let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3?.close();
});

/** The verb run as an operator would, with the registry's settings (the database is Postgres, shared). */
const verb = (h: Harness, args: string[], extra: Record<string, string> = {}) =>
  bonsai(['registry', 'artifacts', ...args], {
    env: { ...h.env, LOG_LEVEL: 'warn', ...extra },
    cwd: h.env.DATA_DIR!,
  });
const json = <T>(run: { stdout: string }) => JSON.parse(run.stdout) as T;

describe('bonsai registry artifacts verify, on a bucket', () => {
  let h: Harness;
  const PREFIX = 'verified';
  const releases: Record<string, Published> = {};
  beforeAll(async () => {
    h = await startHarness({ db: 'postgres', env: s3.env(PREFIX) });
    for (const name of ['acme/kept', 'acme/damaged']) {
      h.gh.state.createRepo(name);
      releases[name] = await publish(h.gh, name, '1.0.0');
      await h.addRepo(name);
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  it('finds an object changed or removed behind the registry, and only in the asset asked for', async () => {
    const clean = await verb(h, ['verify', '--json']);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    expect(json<VerifyJson>(clean)).toMatchObject({ checked: 4, intact: 4, problems: [] });

    // Other bytes under the key, with the metadata still claiming the original digest: only re-reading tells.
    const commit = releases['acme/damaged']!.commit;
    const linux = `${commit}/damaged_1.0.0_linux_amd64.tar.gz`;
    const windows = `${commit}/damaged_1.0.0_windows_amd64.tar.gz`;
    const recorded = releases['acme/damaged']!.files['damaged_1.0.0_linux_amd64.tar.gz']!.sha512;
    await s3.write(`${PREFIX}/${linux}`, Buffer.from('tampered'), { sha512: recorded });
    await s3.client.send(
      new (await import('@aws-sdk/client-s3')).DeleteObjectCommand({
        Bucket: s3.bucket,
        Key: `${PREFIX}/${windows}`,
      }),
    );

    const found = await verb(h, ['verify', '--json']);
    expect(found.code).toBe(1);
    const report = json<VerifyJson>(found);
    expect(report).toMatchObject({ checked: 4, intact: 2 });
    expect(report.problems).toEqual([
      expect.objectContaining({
        asset: 'acme/damaged',
        version: '1.0.0',
        path: linux,
        problem: 'changed',
        found_sha512: sha512('tampered'),
      }),
      expect.objectContaining({ asset: 'acme/damaged', path: windows, problem: 'missing' }),
    ]);

    const text = await verb(h, ['verify', 'acme/damaged']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`changed  acme/damaged 1.0.0  ${linux}: recorded sha512 ${recorded}`);
    expect(text.stdout).toContain(`missing  acme/damaged 1.0.0  ${windows}`);
    expect(text.stdout).toContain(`2 copies checked in s3://${s3.bucket}/${PREFIX}`);
    expect(text.stdout).toContain('0 intact, 1 changed, 1 missing');

    const other = await verb(h, ['verify', 'ACME/Kept', '--json']);
    expect(other.code).toBe(0);
    expect(json<VerifyJson>(other)).toMatchObject({ checked: 2, intact: 2, problems: [] });
  });

  it('refuses an asset that is not registered, a bad name, and link mode', async () => {
    const unknown = await verb(h, ['verify', 'acme/nothing']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('acme/nothing is not registered');
    expect((await verb(h, ['verify', 'not a name'])).code).toBe(1);
    const link = await verb(h, ['verify'], { ARTIFACTS_MODE: 'link' });
    expect(link.code).toBe(2);
    expect(link.stderr).toContain('ARTIFACTS_MODE is link');
  });

  it('says which store failed when the bucket cannot be read (exit 3)', async () => {
    const run = await verb(h, ['verify'], { S3_BUCKET: 'no-such-bucket' });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('ARTIFACT_STORE_FAILED');
    expect(run.stderr).toContain('no-such-bucket');
  });
});

describe('bonsai registry artifacts migrate --to s3, then verify, from a mirror folder', () => {
  let h: Harness;
  const PREFIX = 'migrated';
  let published: Published;
  beforeAll(async () => {
    h = await startHarness({ db: 'postgres', env: { ARTIFACTS_MODE: 'mirror' } });
    h.gh.state.createRepo('acme/moved');
    published = await publish(h.gh, 'acme/moved', '1.0.0');
    await h.addRepo('acme/moved');
  });
  afterAll(async () => {
    await h?.close();
  });
  const bucketEnv = () => {
    const { ARTIFACTS_MODE: _mode, ...rest } = s3.env(PREFIX);
    return rest;
  };

  it('copies every file once, checks its bytes, and copies nothing the second time', async () => {
    const names = ['moved_1.0.0_linux_amd64.tar.gz', 'moved_1.0.0_windows_amd64.tar.gz'];
    const first = await verb(h, ['migrate', '--to', 's3', '--json'], bucketEnv());
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(json<MigrateJson>(first)).toMatchObject({ files: 2, copied: 2, present: 0, problems: [] });
    for (const name of names) {
      const key = `${PREFIX}/${published.commit}/${name}`;
      expect(sha512(await s3.read(key))).toBe(published.files[name]!.sha512);
    }
    const writes = s3.created.length;

    const again = await verb(h, ['migrate', '--to', 's3'], bucketEnv());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('2 file(s) in ');
    expect(again.stdout).toContain('0 copied to s3://');
    expect(again.stdout).toContain('2 already there, 0 not copied');
    expect(s3.created.slice(writes)).toEqual([]);
    expect((await s3.keys()).filter((k) => k.includes('.partial'))).toEqual([]);

    // The bucket now answers verify for the registry switched to s3 mode.
    const verified = await verb(h, ['verify', '--json'], s3.env(PREFIX));
    expect(json<VerifyJson>(verified)).toMatchObject({ checked: 2, intact: 2, problems: [] });
  });

  it('verify finds a file changed on disk, and migrate does not copy it', async () => {
    const name = 'moved_1.0.0_linux_amd64.tar.gz';
    const file = path.join(h.env.DATA_DIR!, 'artifacts', published.commit, name);
    await fs.rm(file);
    await fs.writeFile(file, 'rotted');

    const verified = await verb(h, ['verify', '--json']);
    expect(verified.code).toBe(1);
    expect(json<VerifyJson>(verified).problems).toEqual([
      expect.objectContaining({ path: `${published.commit}/${name}`, problem: 'changed' }),
    ]);

    const moved = await verb(h, ['migrate', '--to', 's3', '--json'], {
      ...bucketEnv(),
      S3_PREFIX: 'elsewhere',
    });
    expect(moved.code).toBe(1);
    expect(json<MigrateJson>(moved)).toMatchObject({
      files: 2,
      copied: 1,
      problems: [{ path: `${published.commit}/${name}`, problem: 'corrupt' }],
    });
    expect((await s3.keys()).filter((k) => k.startsWith('elsewhere/'))).toEqual([
      `elsewhere/${published.commit}/moved_1.0.0_windows_amd64.tar.gz`,
    ]);
  });

  it('refuses a store other than s3, and a missing S3_BUCKET (exit 2)', async () => {
    expect((await verb(h, ['migrate', '--to', 'gcs'], bucketEnv())).code).toBe(2);
    expect((await verb(h, ['migrate'], bucketEnv())).code).toBe(2);
    const { S3_BUCKET: _bucket, ...noBucket } = bucketEnv();
    const run = await verb(h, ['migrate', '--to', 's3'], noBucket);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('S3_BUCKET');
  });
});
