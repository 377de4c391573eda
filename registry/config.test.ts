import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { SETTINGS, artifactsBaseUrl, documentedDefault, loadConfig, redactUrl } from './config.js';
import { withSettingFlags } from './commands/options.js';
import { RegistryError } from './errors.js';

const cwd = '/srv/registry';

function failure(env: Record<string, string>, flags = {}): RegistryError {
  try {
    loadConfig({ env, flags, cwd });
  } catch (err) {
    if (err instanceof RegistryError) return err;
    throw err;
  }
  throw new Error('expected the settings to be refused');
}

describe('registry settings', () => {
  it('runs embedded with nothing set', () => {
    const config = loadConfig({ env: {}, cwd });
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      publicUrl: 'http://localhost:3000',
      publicUrlExplicit: false,
      databaseUrl: undefined,
      redisUrl: undefined,
      dataDir: path.join(cwd, '.bonsai-data'),
      githubApiUrl: 'https://api.github.com',
      githubTimeoutMs: 30_000,
      artifactsMode: 'link',
      pollIntervalMs: 300_000,
      jobAttempts: 8,
      jobBackoffMs: 5_000,
      jobDeadlineMs: 3_600_000,
      workerConcurrency: 4,
      logLevel: 'info',
    });
    expect(artifactsBaseUrl(config)).toBe('http://localhost:3000/artifacts');
  });

  it('takes flags over the environment and treats empty variables as unset', () => {
    const config = loadConfig({
      env: {
        PORT: '8080',
        PUBLIC_URL: 'https://bonsai.example.com/',
        REDIS_URL: '',
        ARTIFACTS_MODE: 'mirror',
      },
      flags: { PORT: '9090', ARTIFACTS_URL: 'https://cdn.example.com/assets/' },
      cwd,
    });
    expect(config).toMatchObject({
      port: 9090,
      publicUrl: 'https://bonsai.example.com',
      publicUrlExplicit: true,
      redisUrl: undefined,
      artifactsMode: 'mirror',
    });
    expect(artifactsBaseUrl(config)).toBe('https://cdn.example.com/assets');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT (--port): must be an integer from 0 to 65535, got "eighty"'],
    [{ PORT: '70000' }, 'PORT (--port): must be an integer from 0 to 65535'],
    [{ PUBLIC_URL: 'bonsai.example.com' }, 'PUBLIC_URL (--public-url): must be an http:// or https:// URL'],
    [
      { DATABASE_URL: 'mysql://db/x' },
      'DATABASE_URL (--database-url): must be a postgres:// or postgresql:// URL, got (hidden)',
    ],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL (--redis-url): must be a redis:// or rediss:// URL'],
    [
      { ARTIFACTS_MODE: 'copy' },
      `ARTIFACTS_MODE (--artifacts-mode): must be 'link', 'mirror' or 's3', got "copy"`,
    ],
    [{ ARTIFACTS_MODE: 's3' }, 'S3_BUCKET (--s3-bucket) is required when ARTIFACTS_MODE is s3'],
    [{ S3_BUCKET: 'My_Bucket' }, 'S3_BUCKET (--s3-bucket): must be an S3 bucket name'],
    [{ S3_PREFIX: 'a/../b' }, 'S3_PREFIX (--s3-prefix): must be a key prefix'],
    [{ S3_ENDPOINT: 'minio:9000' }, 'S3_ENDPOINT (--s3-endpoint): must be an http:// or https:// URL'],
    [
      { S3_PUBLIC_ENDPOINT: 'localhost:9000' },
      'S3_PUBLIC_ENDPOINT (--s3-public-endpoint): must be an http:// or https:// URL, got "localhost:9000"',
    ],
    [
      { S3_FORCE_PATH_STYLE: 'yes' },
      "S3_FORCE_PATH_STYLE (--s3-force-path-style): must be 'true' or 'false'",
    ],
    [{ POLL_INTERVAL: '-1' }, 'POLL_INTERVAL (--poll-interval): must be a number of seconds, 0 or more'],
    [{ GITHUB_TIMEOUT: '0' }, 'GITHUB_TIMEOUT (--github-timeout): must be a number of seconds, more than 0'],
    [{ MAX_ARTIFACT_SIZE: '1.5' }, 'MAX_ARTIFACT_SIZE (--max-artifact-size): must be a whole number'],
    [{ JOB_ATTEMPTS: '0' }, 'JOB_ATTEMPTS (--job-attempts): must be 1 or more'],
    [{ CACHE_MEMORY: '64MB' }, 'CACHE_MEMORY (--cache-memory): must be a whole number of bytes (0: none)'],
    [{ CACHE_MEMORY: '-1' }, 'CACHE_MEMORY (--cache-memory): must be a whole number of bytes (0: none)'],
    [{ JOB_DEADLINE: '0' }, 'JOB_DEADLINE (--job-deadline): must be a number of seconds, more than 0'],
    [
      { JOB_DEADLINE: 'an hour' },
      'JOB_DEADLINE (--job-deadline): must be a number of seconds, got "an hour"',
    ],
    [{ WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY (--worker-concurrency): must be 1 or more'],
    [{ WORKER_CONCURRENCY: '2.5' }, 'WORKER_CONCURRENCY (--worker-concurrency): must be a whole number'],
    [{ MAX_ARCHIVE_ENTRIES: '0' }, 'MAX_ARCHIVE_ENTRIES (--max-archive-entries): must be 1 or more'],
    [{ MAX_UNPACKED_SIZE: '1GB' }, 'MAX_UNPACKED_SIZE (--max-unpacked-size): must be a whole number'],
    [
      { DOWNLOAD_DEADLINE: '0' },
      'DOWNLOAD_DEADLINE (--download-deadline): must be a number of seconds, more than 0',
    ],
    [{ ARTIFACT_HOSTS: 'https://cdn.example.com/' }, 'ARTIFACT_HOSTS (--artifact-hosts): must be host names'],
    [{ REQUIRE_SIGNATURES: 'yes' }, "REQUIRE_SIGNATURES (--require-signatures): must be 'true' or 'false'"],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL (--log-level): must be one of fatal, error, warn, info, debug, trace, silent',
    ],
  ])('refuses %j naming the variable', (env, message) => {
    const err = failure(env);
    expect(err.code).toBe('SETTINGS_INVALID');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(message);
  });

  it('reads the S3 settings in s3 mode only, the region from AWS_REGION when S3_REGION is unset', () => {
    expect(loadConfig({ env: { S3_BUCKET: 'bk1' }, cwd }).s3).toBeUndefined();
    expect(
      loadConfig({
        env: { ARTIFACTS_MODE: 's3', S3_BUCKET: 'bonsai', S3_PREFIX: '/a/b/', AWS_REGION: 'eu-west-1' },
        cwd,
      }).s3,
    ).toEqual({
      bucket: 'bonsai',
      prefix: 'a/b',
      region: 'eu-west-1',
      endpoint: undefined,
      publicEndpoint: undefined,
      forcePathStyle: false,
    });
    expect(
      loadConfig({
        env: { ARTIFACTS_MODE: 's3', S3_BUCKET: 'bonsai' },
        flags: {
          S3_REGION: 'auto',
          S3_ENDPOINT: 'http://minio:9000/',
          S3_PUBLIC_ENDPOINT: 'https://s3.example.com:9000/',
          S3_FORCE_PATH_STYLE: 'true',
        },
        cwd,
      }).s3,
    ).toEqual({
      bucket: 'bonsai',
      prefix: '',
      region: 'auto',
      endpoint: 'http://minio:9000',
      publicEndpoint: 'https://s3.example.com:9000',
      forcePathStyle: true,
    });
    expect(loadConfig({ env: { ARTIFACTS_MODE: 's3', S3_BUCKET: 'bonsai' }, cwd }).s3?.region).toBe(
      'us-east-1',
    );
  });

  it('reads the ingest bounds, with their defaults', () => {
    expect(loadConfig({ env: {}, cwd })).toMatchObject({
      maxArchiveEntries: 100_000,
      maxUnpackedSize: 1024 ** 3,
      downloadDeadlineMs: 600_000,
      artifactHosts: [],
    });
    const config = loadConfig({
      env: { MAX_ARCHIVE_ENTRIES: '5000', DOWNLOAD_DEADLINE: '1.5' },
      flags: { ARTIFACT_HOSTS: 'ghe-storage.corp.example, *.cdn.corp.example' },
      cwd,
    });
    expect(config).toMatchObject({
      maxArchiveEntries: 5000,
      downloadDeadlineMs: 1500,
      artifactHosts: ['ghe-storage.corp.example', '*.cdn.corp.example'],
    });
  });

  it('reports every bad variable at once and never prints a secret', () => {
    const err = failure({ PORT: 'x', DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(err.message).toContain('PORT');
    expect(err.message).toContain('DATABASE_URL');
    expect(err.message).not.toContain('hunter2');
  });

  it('names a flag when the flag was wrong', () => {
    expect(failure({}, { POLL_INTERVAL: 'soon' }).message).toContain('POLL_INTERVAL (--poll-interval)');
  });

  it('documents every setting, secrets without a flag', () => {
    for (const spec of SETTINGS) {
      expect(spec.description.length).toBeGreaterThan(10);
      if (['GITHUB_TOKEN', 'WEBHOOK_SECRET', 'ADMIN_TOKEN'].includes(spec.env))
        expect(spec.flag).toBeUndefined();
    }
  });

  it('are all in the README settings table, with their flag', async () => {
    const readme = await fs.readFile(new URL('../README.md', import.meta.url), 'utf8');
    for (const spec of SETTINGS) {
      const flag = spec.flag ? `\`${spec.flag.split(' ')[0]}\`` : '—';
      expect(readme).toContain(`| \`${spec.env}\` | ${flag} |`);
    }
  });

  it("are documented with the defaults the schema gets, in README's table and in each flag's help", async () => {
    const readme = await fs.readFile(new URL('../README.md', import.meta.url), 'utf8');
    // The table spells values as code and words plainly: `3000`, unset: in-process LRU.
    const plain = (text: string) => text.replaceAll('`', '').replace(/^\((.*)\)$/, '$1');
    const help = withSettingFlags(new Command('serve'));
    for (const spec of SETTINGS) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${spec.env}\` |`));
      const documented = row?.split(' | ')[2];
      expect({ env: spec.env, default: documented && plain(documented) }).toEqual({
        env: spec.env,
        default: plain(documentedDefault(spec)),
      });
      if (spec.flag) {
        const flag = help.options.find((o) => o.flags === spec.flag);
        expect(flag?.description).toContain(`Env ${spec.env}, default ${documentedDefault(spec)}.`);
      }
      // A value default is shown as it is; words stand in only for an empty one.
      if (spec.default !== undefined && spec.defaultText !== undefined) expect(spec.default).toBe('');
    }
  });

  it('gives every unset setting its documented default', () => {
    const explicit = Object.fromEntries(
      SETTINGS.filter((s) => s.default !== undefined).map((s) => [s.env, s.default]),
    );
    expect(loadConfig({ env: {}, cwd })).toEqual(loadConfig({ env: explicit, cwd }));
    expect(loadConfig({ env: {}, cwd })).toMatchObject({
      maxArtifactSize: 536_870_912,
      maxArchiveEntries: 100_000,
      maxUnpackedSize: 1_073_741_824,
      artifactHosts: [],
      rateLimits: { reads: 1200, writes: 60, authFailures: 20, trustProxy: 0 },
      requireSignatures: false,
      cacheTtlSeconds: 3600,
      cacheSize: 10_000,
      cacheMemory: 67_108_864,
      jobLeaseMs: 300_000,
      retentionDays: 30,
      logFormat: 'auto',
    });
  });

  it('masks passwords in URLs it logs', () => {
    expect(redactUrl('postgres://bonsai:s3cret@db:5432/bonsai')).toBe('postgres://bonsai:***@db:5432/bonsai');
    expect(redactUrl('redis://cache:6379')).toBe('redis://cache:6379');
  });
});
