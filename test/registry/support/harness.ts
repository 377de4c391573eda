import fs from 'node:fs/promises';
import { Octokit } from '@octokit/rest';
import { startGitHubEmulator, type GitHubEmulator } from '../../github-emulator/index.js';
import { loadConfig } from '../../../registry/config.js';
import { createLogger } from '../../../registry/logger.js';
import { startRegistry, type RunningRegistry } from '../../../registry/server.js';
import { getJob } from '../../../registry/jobs/queue.js';
import { makeTempDir, type DbKind } from './databases.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { waitFor } from './wait.js';

export const REGISTRY_TOKEN = 'registry-read-token';
export const WRITE_TOKEN = 'maintainer-write-token';
export const WEBHOOK_SECRET = 'webhook-secret-for-tests';
export const ADMIN_TOKEN = 'admin-token-for-tests';

export interface Response {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

export interface Harness {
  gh: GitHubEmulator;
  /** Octokit with write access on the emulator, for what a maintainer does on GitHub (edit, delete). */
  maintainer: Octokit;
  registry: RunningRegistry;
  url: string;
  env: Record<string, string>;
  /** Every log line the registry wrote. */
  logs: string[];
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, body: string | object, headers?: Record<string, string>): Promise<Response>;
  /** Registers OWNER/NAME through the admin API and waits for its first sync job. */
  addRepo(fullName: string, settings?: object): Promise<void>;
  /** Enqueues a sync through the CI trigger and waits until that job is done. */
  sync(fullName: string): Promise<void>;
  waitForJob(id: number): Promise<void>;
  /** Stops the registry, keeping the database and emulator (for restart tests). */
  stopRegistry(): Promise<void>;
  startRegistry(extraEnv?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

async function request(url: string, init: RequestInit): Promise<Response> {
  const res = await fetch(url, { ...init, redirect: 'manual' });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}

/** The settings every test registry runs with: a free port, the emulator, fast retries, no poller. */
export function registryEnv(gh: GitHubEmulator, dataDir: string): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    GITHUB_API_URL: gh.apiUrl,
    GITHUB_TOKEN: REGISTRY_TOKEN,
    WEBHOOK_SECRET,
    ADMIN_TOKEN,
    POLL_INTERVAL: '0',
    JOB_BACKOFF: '0.05',
    // Tests make many requests from one address; the rate-limit suite sets its own budgets.
    RATE_LIMIT_READS: '0',
    RATE_LIMIT_WRITES: '0',
    RATE_LIMIT_AUTH_FAILURES: '0',
    // Pruning claims its hourly period; the retention suite turns it on when it wants it.
    RETENTION_DAYS: '0',
  };
}

export interface HarnessOptions {
  db?: DbKind;
  env?: Record<string, string>;
}

/**
 * The GitHub emulator and a registry started as `bonsai registry serve` would (settings from variables),
 * on a fresh database of the chosen kind; the registry talks to the emulator through Octokit.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const gh = await startGitHubEmulator();
  gh.state.addToken(REGISTRY_TOKEN, { login: 'bonsai-registry' });
  gh.state.addToken(WRITE_TOKEN, { login: 'maintainer', write: true });
  const dataDir = await makeTempDir('bonsai-registry-');
  let database: TestDatabase | undefined;
  if (options.db === 'postgres') database = await createTestDatabase();
  const env: Record<string, string> = {
    ...registryEnv(gh, dataDir),
    LOG_LEVEL: 'info',
    ...(database ? { DATABASE_URL: database.url } : {}),
    ...options.env,
  };
  const logs: string[] = [];
  let registry: RunningRegistry | undefined;
  const start = async (extra: Record<string, string> = {}) => {
    const config = loadConfig({ env: { ...env, ...extra }, cwd: dataDir });
    registry = await startRegistry(
      config,
      createLogger(config.logLevel, { write: (l: string) => logs.push(l) }),
    );
  };
  await start();
  const current = () => {
    if (!registry) throw new Error('the registry is stopped');
    return registry;
  };
  const harness: Harness = {
    gh,
    maintainer: new Octokit({ baseUrl: gh.apiUrl, auth: WRITE_TOKEN }),
    get registry() {
      return current();
    },
    get url() {
      return current().url;
    },
    env,
    logs,
    get: (path, headers = {}) => request(current().url + path, { headers }),
    post: (path, body, headers = {}) =>
      request(current().url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async addRepo(fullName, settings = {}) {
      const res = await harness.post(
        '/api/v1/repos',
        { repository: fullName, ...settings },
        { authorization: `Bearer ${ADMIN_TOKEN}` },
      );
      if (res.status !== 201 && res.status !== 200)
        throw new Error(`add-repo ${fullName}: ${res.status} ${res.text}`);
      await harness.waitForJob((res.json() as { job_id: number }).job_id);
    },
    async sync(fullName) {
      const res = await harness.post(`/assets/${fullName}/build`, '', {
        authorization: `Bearer ${ADMIN_TOKEN}`,
      });
      if (res.status !== 202) throw new Error(`build ${fullName}: ${res.status} ${res.text}`);
      await harness.waitForJob((res.json() as { job_id: number }).job_id);
    },
    async waitForJob(id) {
      const job = await waitFor(`job ${id}`, async () => {
        const j = await getJob(current().runtime.db, id);
        return j && (j.state === 'done' || j.state === 'failed') && j;
      });
      if (job.state !== 'done') throw new Error(`job ${id} failed: ${job.lastError}`);
    },
    async stopRegistry() {
      await registry?.close();
      registry = undefined;
    },
    startRegistry: start,
    async close() {
      await registry?.close();
      await gh.close();
      await database?.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}
