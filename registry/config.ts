import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_MAX_ARCHIVE_ENTRIES, DEFAULT_MAX_UNPACKED_SIZE } from '../bonsai-schema/archive-defaults.js';
import type { S3Settings } from './artifacts/s3.js';
import { RegistryError } from './errors.js';
import { parseArtifactHosts } from './github/redirect-policy.js';

/**
 * One registry setting: the environment variable, the CLI flag that overrides it (secrets have none, so
 * they never show in `ps`), its default, and what it means. README's table is this list.
 */
export type SettingSpec = {
  env: SettingName;
  flag?: string;
  description: string;
  secret?: boolean;
} & (
  | {
      /**
       * The value an unset setting takes, spelled as in the environment: the one place a default is
       * written (loadConfig gives it to the schema; the help and README show it).
       */
      default: string;
      /** The default in words, when the value alone says little (an empty one). */
      defaultText?: string;
    }
  | {
      default?: undefined;
      /** What an unset setting means (it has no single default value). */
      defaultText: string;
    }
);

/** A setting's default as the help and README's settings table show it. */
export function documentedDefault(spec: SettingSpec): string {
  return spec.default === undefined ? spec.defaultText : (spec.defaultText ?? spec.default);
}

const port = z.coerce
  .number({ error: 'must be an integer from 0 to 65535' })
  .int({ error: 'must be an integer from 0 to 65535' })
  .min(0, { error: 'must be an integer from 0 to 65535' })
  .max(65535, { error: 'must be an integer from 0 to 65535' });
const seconds = z.coerce
  .number({ error: 'must be a number of seconds' })
  .min(0, { error: 'must be a number of seconds, 0 or more' });
const positiveInt = z.coerce
  .number({ error: 'must be a whole number' })
  .int({ error: 'must be a whole number' })
  .min(1, { error: 'must be 1 or more' });
const perMinute = z.coerce
  .number({ error: 'must be a whole number of requests per minute (0: no limit)' })
  .int({ error: 'must be a whole number of requests per minute (0: no limit)' })
  .min(0, { error: 'must be a whole number of requests per minute (0: no limit)' });
const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .transform((u) => u.replace(/\/+$/, ''));

/** The one schema every setting goes through (environment and flags alike). */
const schema = z.object({
  PORT: port,
  HOST: z.string(),
  PUBLIC_URL: httpUrl.optional(),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' })
    .optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  DATA_DIR: z.string(),
  GITHUB_API_URL: httpUrl,
  GITHUB_TOKEN: z.string().optional(),
  GITHUB_TIMEOUT: z.coerce
    .number({ error: 'must be a number of seconds' })
    .positive({ error: 'must be a number of seconds, more than 0' }),
  WEBHOOK_SECRET: z.string().optional(),
  ADMIN_TOKEN: z.string().optional(),
  METRICS_TOKEN: z.string().optional(),
  ARTIFACTS_MODE: z.enum(['link', 'mirror', 's3'], { error: "must be 'link', 'mirror' or 's3'" }),
  ARTIFACTS_URL: httpUrl.optional(),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'must be an S3 bucket name' })
    .optional(),
  S3_PREFIX: z
    .string()
    .transform((text) => text.replace(/^\/+|\/+$/g, ''))
    .refine(
      (text) => text === '' || !text.split('/').some((part) => part === '' || part === '.' || part === '..'),
      { error: 'must be a key prefix like artifacts or bonsai/artifacts' },
    ),
  S3_REGION: z.string().optional(),
  S3_ENDPOINT: httpUrl.optional(),
  S3_PUBLIC_ENDPOINT: httpUrl.optional(),
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false'], { error: "must be 'true' or 'false'" }),
  POLL_INTERVAL: seconds,
  MAX_ARTIFACT_SIZE: positiveInt,
  MAX_ARCHIVE_ENTRIES: positiveInt,
  MAX_UNPACKED_SIZE: positiveInt,
  DOWNLOAD_DEADLINE: z.coerce
    .number({ error: 'must be a number of seconds' })
    .positive({ error: 'must be a number of seconds, more than 0' }),
  ARTIFACT_HOSTS: z
    .string()
    .transform((text) => parseArtifactHosts(text))
    .refine((hosts) => hosts.every((h) => /^(\*\.)?[a-z0-9.:[\]-]+$/.test(h)), {
      error: 'must be host names or *.domain patterns, separated by commas',
    }),
  RATE_LIMIT_READS: perMinute,
  RATE_LIMIT_WRITES: perMinute,
  RATE_LIMIT_AUTH_FAILURES: perMinute,
  TRUST_PROXY: z
    .string()
    .transform((text) => (text === 'false' ? 0 : text === 'true' ? 1 : Number(text)))
    .refine((n) => Number.isInteger(n) && n >= 0 && n <= 10, {
      error: "must be 'false', 'true' or the number of proxies in front (0 to 10)",
    }),
  RETENTION_DAYS: z.coerce
    .number({ error: 'must be a number of days (0: keep forever)' })
    .min(0, { error: 'must be a number of days (0: keep forever)' }),
  REQUIRE_SIGNATURES: z
    .enum(['true', 'false', '1', '0'], { error: "must be 'true' or 'false'" })
    .transform((v) => v === 'true' || v === '1'),
  CACHE_TTL: positiveInt,
  CACHE_SIZE: positiveInt,
  CACHE_MEMORY: z.coerce
    .number({ error: 'must be a whole number of bytes (0: none)' })
    .int({ error: 'must be a whole number of bytes (0: none)' })
    .min(0, { error: 'must be a whole number of bytes (0: none)' }),
  JOB_ATTEMPTS: positiveInt,
  JOB_BACKOFF: seconds,
  JOB_LEASE: seconds.min(1, { error: 'must be at least 1 second' }),
  JOB_DEADLINE: z.coerce
    .number({ error: 'must be a number of seconds' })
    .positive({ error: 'must be a number of seconds, more than 0' }),
  WORKER_CONCURRENCY: positiveInt,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    error: 'must be one of fatal, error, warn, info, debug, trace, silent',
  }),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty'], { error: "must be 'auto', 'json' or 'pretty'" }),
});

export type SettingName = keyof z.input<typeof schema>;

export const SETTINGS: readonly SettingSpec[] = [
  {
    env: 'PORT',
    flag: '--port <port>',
    default: '3000',
    description: 'TCP port to listen on (0 picks a free one).',
  },
  { env: 'HOST', flag: '--host <host>', default: '0.0.0.0', description: 'Interface to listen on.' },
  {
    env: 'PUBLIC_URL',
    flag: '--public-url <url>',
    defaultText: 'http://localhost:PORT',
    description: 'Base URL clients reach the registry at; used in every URL and annotation it serves.',
  },
  {
    env: 'DATABASE_URL',
    flag: '--database-url <url>',
    defaultText: '(unset: embedded PGlite under DATA_DIR)',
    description: 'PostgreSQL connection URL. Several registry processes may share one database.',
    secret: true,
  },
  {
    env: 'REDIS_URL',
    flag: '--redis-url <url>',
    defaultText: '(unset: in-process LRU)',
    description:
      'Redis URL for the shared response cache. Checked at start; an outage later never fails a request.',
    secret: true,
  },
  {
    env: 'DATA_DIR',
    flag: '--data-dir <dir>',
    default: './.bonsai-data',
    description: 'Folder for the embedded database and mirrored artifacts.',
  },
  {
    env: 'GITHUB_API_URL',
    flag: '--github-api-url <url>',
    default: 'https://api.github.com',
    description: 'GitHub REST API base (GitHub Enterprise: https://HOST/api/v3).',
  },
  {
    env: 'GITHUB_TOKEN',
    defaultText: '(unset: anonymous, 60 requests/hour)',
    description: 'Token used to read releases, files and artifacts (read access to the repositories).',
    secret: true,
  },
  {
    env: 'GITHUB_TIMEOUT',
    flag: '--github-timeout <seconds>',
    default: '30',
    description:
      'Seconds GitHub may stay silent (no answer, or no data during a download) before a request is abandoned.',
  },
  {
    env: 'WEBHOOK_SECRET',
    defaultText: '(unset: webhooks refused)',
    description: 'Secret of the GitHub webhooks; every delivery must carry a valid X-Hub-Signature-256.',
    secret: true,
  },
  {
    env: 'ADMIN_TOKEN',
    defaultText: '(unset: only API tokens are accepted)',
    description:
      'Bootstrap admin bearer token for POST /api/v1/repos and the CI trigger POST /assets/NS/NAME/build (scoped tokens: bonsai registry token create).',
    secret: true,
  },
  {
    env: 'METRICS_TOKEN',
    defaultText: '(unset: /metrics open)',
    description: 'Bearer token Prometheus must send to GET /metrics.',
    secret: true,
  },
  {
    env: 'ARTIFACTS_MODE',
    flag: '--artifacts-mode <mode>',
    default: 'link',
    description:
      "'link': build URLs point at GitHub; 'mirror': verified copies under DATA_DIR/artifacts; 's3': verified copies in S3_BUCKET.",
  },
  {
    env: 'ARTIFACTS_URL',
    flag: '--artifacts-url <url>',
    defaultText: 'PUBLIC_URL/artifacts',
    description:
      'Public base of mirrored artifacts (a CDN in front of DATA_DIR/artifacts, or of the bucket and S3_PREFIX), mirror and s3 modes only.',
  },
  {
    env: 'S3_BUCKET',
    flag: '--s3-bucket <name>',
    defaultText: '(required in s3 mode)',
    description: 'Bucket holding the verified copies in s3 mode.',
  },
  {
    env: 'S3_PREFIX',
    flag: '--s3-prefix <prefix>',
    default: '',
    defaultText: '(unset: the bucket root)',
    description: 'Key prefix: objects are PREFIX/COMMIT/FILE, uploads in progress PREFIX/.partial/.',
  },
  {
    env: 'S3_REGION',
    flag: '--s3-region <region>',
    defaultText: 'AWS_REGION, else us-east-1',
    description: 'Region of the bucket.',
  },
  {
    env: 'S3_ENDPOINT',
    flag: '--s3-endpoint <url>',
    defaultText: '(unset: AWS S3)',
    description: 'Endpoint of an S3-compatible store (MinIO, Ceph, R2, ...).',
  },
  {
    env: 'S3_PUBLIC_ENDPOINT',
    flag: '--s3-public-endpoint <url>',
    defaultText: 'S3_ENDPOINT',
    description:
      "The endpoint clients reach the bucket at, when it is not S3_ENDPOINT (MinIO's published port): presigned redirects are signed for it.",
  },
  {
    env: 'S3_FORCE_PATH_STYLE',
    flag: '--s3-force-path-style <bool>',
    default: 'false',
    description: "'true': bucket in the path (http://HOST/BUCKET/KEY), as MinIO and Ceph usually need.",
  },
  {
    env: 'POLL_INTERVAL',
    flag: '--poll-interval <seconds>',
    default: '300',
    description: 'Seconds between conditional polls of each repository (0 turns the poller off).',
  },
  {
    env: 'MAX_ARTIFACT_SIZE',
    flag: '--max-artifact-size <bytes>',
    default: String(512 * 1024 * 1024),
    description: 'Largest artifact downloaded at ingest; a larger one fails that version.',
  },
  {
    env: 'MAX_ARCHIVE_ENTRIES',
    flag: '--max-archive-entries <n>',
    default: String(DEFAULT_MAX_ARCHIVE_ENTRIES),
    description: 'Entries of an artifact listed at ingest; past it, reading stops and that version fails.',
  },
  {
    env: 'MAX_UNPACKED_SIZE',
    flag: '--max-unpacked-size <bytes>',
    default: String(DEFAULT_MAX_UNPACKED_SIZE),
    description:
      'Bytes an artifact may unpack to (also: no gzip inflating 200 times its size past 64 MiB); past it, reading stops and that version fails.',
  },
  {
    env: 'DOWNLOAD_DEADLINE',
    flag: '--download-deadline <seconds>',
    default: '600',
    description:
      'Seconds a whole artifact download may take (on top of GITHUB_TIMEOUT for silence); a slower one fails that version.',
  },
  {
    env: 'ARTIFACT_HOSTS',
    flag: '--artifact-hosts <hosts>',
    default: '',
    defaultText: '(unset: GitHub only)',
    description:
      'Hosts (comma-separated, *.domain allowed) artifact downloads may redirect to besides github.com, *.githubusercontent.com and the GITHUB_API_URL host; may be internal.',
  },
  {
    env: 'RATE_LIMIT_READS',
    flag: '--rate-limit-reads <n>',
    default: '1200',
    description:
      'GET requests per minute per client address (0: no limit); shared by all replicas through REDIS_URL.',
  },
  {
    env: 'RATE_LIMIT_WRITES',
    flag: '--rate-limit-writes <n>',
    default: '60',
    description: 'Registrations and CI triggers per minute per token (0: no limit).',
  },
  {
    env: 'RATE_LIMIT_AUTH_FAILURES',
    flag: '--rate-limit-auth-failures <n>',
    default: '20',
    description:
      'Failed authentications (401) per minute per client address before it is refused for 15 minutes (0: no limit).',
  },
  {
    env: 'TRUST_PROXY',
    flag: '--trust-proxy <hops>',
    default: 'false',
    description:
      "Whether X-Forwarded-For names the client: 'false', 'true' (one proxy in front) or the number of proxies.",
  },
  {
    env: 'RETENTION_DAYS',
    flag: '--retention-days <days>',
    default: '30',
    description:
      'Finished jobs, webhook deliveries and ingest-log rows older than this are pruned, hourly, by one replica (0: keep forever).',
  },
  {
    env: 'CACHE_TTL',
    flag: '--cache-ttl <seconds>',
    default: '3600',
    description: 'Lifetime of a cached response (ingest invalidates earlier).',
  },
  {
    env: 'CACHE_SIZE',
    flag: '--cache-size <entries>',
    default: '10000',
    description: 'Entries of the in-process cache (without REDIS_URL).',
  },
  {
    env: 'CACHE_MEMORY',
    flag: '--cache-memory <bytes>',
    default: '67108864',
    description:
      'Bytes of cached responses each process also keeps in memory in front of Redis, for at most 60 s (with REDIS_URL; 0: none).',
  },
  {
    env: 'REQUIRE_SIGNATURES',
    flag: '--require-signatures <bool>',
    default: 'false',
    description:
      'true: every namespace needs signed checksum files (SIGNATURE_MISSING otherwise), not only those with keys (bonsai registry key add).',
  },
  {
    env: 'JOB_ATTEMPTS',
    flag: '--job-attempts <n>',
    default: '8',
    description: 'Attempts of an ingest job before it is marked failed.',
  },
  {
    env: 'JOB_BACKOFF',
    flag: '--job-backoff <seconds>',
    default: '5',
    description: 'First retry delay of a failed job; doubles per attempt, at most one hour.',
  },
  {
    env: 'JOB_LEASE',
    flag: '--job-lease <seconds>',
    default: '300',
    description:
      'How long a claimed job stays with its process without a heartbeat before another may take it.',
  },
  {
    env: 'JOB_DEADLINE',
    flag: '--job-deadline <seconds>',
    default: '3600',
    description:
      'How long one ingest job may run; then it is stopped and fails with JOB_DEADLINE (the release it was ingesting too).',
  },
  {
    env: 'WORKER_CONCURRENCY',
    flag: '--worker-concurrency <n>',
    default: '4',
    description: 'Ingest jobs one process runs at once (never two of one asset).',
  },
  {
    env: 'LOG_LEVEL',
    flag: '--log-level <level>',
    default: 'info',
    description: 'The log level: fatal, error, warn, info, debug, trace or silent.',
  },
  {
    env: 'LOG_FORMAT',
    flag: '--log-format <format>',
    default: 'auto',
    description:
      "'json' (JSON lines), 'pretty' (one readable line per event, local time) or 'auto' (pretty on a terminal, JSON otherwise).",
  },
];

export type ArtifactsMode = 'link' | 'mirror' | 's3';

/** The parsed settings, in the units the code uses. */
export interface RegistryConfig {
  port: number;
  host: string;
  /** Explicit PUBLIC_URL; when unset the server derives it from the port it listens on. */
  publicUrl: string;
  publicUrlExplicit: boolean;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Absolute. */
  dataDir: string;
  githubApiUrl: string;
  githubToken: string | undefined;
  /** How long GitHub may stay silent before a request (or a download) is abandoned. */
  githubTimeoutMs: number;
  webhookSecret: string | undefined;
  adminToken: string | undefined;
  metricsToken: string | undefined;
  artifactsMode: ArtifactsMode;
  /** Explicit ARTIFACTS_URL, else derived from the public URL. */
  artifactsUrl: string | undefined;
  /** s3 mode only (S3_BUCKET is required there). */
  s3: S3Settings | undefined;
  pollIntervalMs: number;
  maxArtifactSize: number;
  maxArchiveEntries: number;
  maxUnpackedSize: number;
  downloadDeadlineMs: number;
  artifactHosts: string[];
  rateLimits: { reads: number; writes: number; authFailures: number; trustProxy: number };
  retentionDays: number;
  requireSignatures: boolean;
  cacheTtlSeconds: number;
  cacheSize: number;
  /** Bytes of the in-process cache in front of Redis (0: none). */
  cacheMemory: number;
  jobAttempts: number;
  jobBackoffMs: number;
  jobLeaseMs: number;
  jobDeadlineMs: number;
  workerConcurrency: number;
  logLevel: string;
  logFormat: 'auto' | 'json' | 'pretty';
}

export interface ConfigInput {
  env: Record<string, string | undefined>;
  /** Flag values keyed by the variable they override (flags win over the environment). */
  flags?: Partial<Record<SettingName, string | undefined>>;
  cwd: string;
}

/** Parses the environment and flags once, at start; every problem is reported, each naming its variable. */
export function loadConfig(input: ConfigInput): RegistryConfig {
  const raw: Record<string, string> = {};
  for (const spec of SETTINGS) {
    const value = input.flags?.[spec.env] ?? input.env[spec.env];
    // An empty variable (FOO= in a compose file) means "not set".
    if (value !== undefined && value.trim() !== '') raw[spec.env] = value.trim();
    else if (spec.default !== undefined) raw[spec.env] = spec.default;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const spec = SETTINGS.find((s) => s.env === name);
      const shown = spec?.secret ? '(hidden)' : JSON.stringify(raw[name]);
      const flag = spec?.flag ? ` (${spec.flag.split(' ')[0]})` : '';
      return `${name}${flag}: ${issue.message}, got ${shown}`;
    });
    throw new RegistryError('SETTINGS_INVALID', `invalid registry settings: ${problems.join('; ')}`, {
      hint: 'fix the variables named above (see the settings table in README.md)',
    });
  }
  const s = parsed.data;
  if (s.ARTIFACTS_MODE === 's3' && s.S3_BUCKET === undefined) {
    throw new RegistryError(
      'SETTINGS_INVALID',
      'invalid registry settings: S3_BUCKET (--s3-bucket) is required when ARTIFACTS_MODE is s3',
      {
        hint: 'set S3_BUCKET (see the settings table in README.md)',
      },
    );
  }
  return {
    port: s.PORT,
    host: s.HOST,
    publicUrl: s.PUBLIC_URL ?? `http://localhost:${s.PORT}`,
    publicUrlExplicit: s.PUBLIC_URL !== undefined,
    databaseUrl: s.DATABASE_URL,
    redisUrl: s.REDIS_URL,
    dataDir: path.resolve(input.cwd, s.DATA_DIR),
    githubApiUrl: s.GITHUB_API_URL,
    githubToken: s.GITHUB_TOKEN,
    githubTimeoutMs: s.GITHUB_TIMEOUT * 1000,
    webhookSecret: s.WEBHOOK_SECRET,
    adminToken: s.ADMIN_TOKEN,
    metricsToken: s.METRICS_TOKEN,
    artifactsMode: s.ARTIFACTS_MODE,
    artifactsUrl: s.ARTIFACTS_URL,
    s3:
      s.ARTIFACTS_MODE === 's3' && s.S3_BUCKET !== undefined
        ? {
            bucket: s.S3_BUCKET,
            prefix: s.S3_PREFIX,
            region: s.S3_REGION ?? input.env.AWS_REGION ?? 'us-east-1',
            endpoint: s.S3_ENDPOINT,
            publicEndpoint: s.S3_PUBLIC_ENDPOINT,
            forcePathStyle: s.S3_FORCE_PATH_STYLE === 'true',
          }
        : undefined,
    pollIntervalMs: s.POLL_INTERVAL * 1000,
    maxArtifactSize: s.MAX_ARTIFACT_SIZE,
    maxArchiveEntries: s.MAX_ARCHIVE_ENTRIES,
    maxUnpackedSize: s.MAX_UNPACKED_SIZE,
    downloadDeadlineMs: s.DOWNLOAD_DEADLINE * 1000,
    artifactHosts: s.ARTIFACT_HOSTS,
    rateLimits: {
      reads: s.RATE_LIMIT_READS,
      writes: s.RATE_LIMIT_WRITES,
      authFailures: s.RATE_LIMIT_AUTH_FAILURES,
      trustProxy: s.TRUST_PROXY,
    },
    retentionDays: s.RETENTION_DAYS,
    requireSignatures: s.REQUIRE_SIGNATURES,
    cacheTtlSeconds: s.CACHE_TTL,
    cacheSize: s.CACHE_SIZE,
    cacheMemory: s.CACHE_MEMORY,
    jobAttempts: s.JOB_ATTEMPTS,
    jobBackoffMs: s.JOB_BACKOFF * 1000,
    jobLeaseMs: s.JOB_LEASE * 1000,
    jobDeadlineMs: s.JOB_DEADLINE * 1000,
    workerConcurrency: s.WORKER_CONCURRENCY,
    logLevel: s.LOG_LEVEL,
    logFormat: s.LOG_FORMAT,
  };
}

/** Where mirrored artifacts are published: ARTIFACTS_URL, else the registry's own /artifacts route. */
export function artifactsBaseUrl(config: Pick<RegistryConfig, 'artifactsUrl' | 'publicUrl'>): string {
  return config.artifactsUrl ?? `${config.publicUrl}/artifacts`;
}

/** A URL safe to log: the password is masked. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
