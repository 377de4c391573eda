import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load } from 'js-yaml';
import { installBuild, pickBuild, runFromAsset, type DefinitionBuild } from './agent.js';
import { freePort } from '../../test/registry/support/ports.js';
import { bonsai, stop, tsProcess, waitForLine } from './processes.js';

/**
 * The mission's path, end to end, with every piece a real process: package the hello-world asset,
 * publish it as a GitHub release (to the emulator), let the registry ingest it from the signed webhook,
 * fetch its definition by namespace/name:version, then install and run it as the Sensu agent would.
 */
export interface DemoOptions {
  /** One line per step. */
  say: (line: string) => void;
  /** Extra registry settings (DATABASE_URL, REDIS_URL, ARTIFACTS_MODE, ...); none: embedded defaults. */
  registryEnv?: Record<string, string>;
  /** Seconds to wait for the webhook's ingest. */
  ingestTimeout?: number;
}

export interface DemoRun {
  ok: boolean;
  registryUrl: string | undefined;
  githubApiUrl: string | undefined;
  /** What the definition's build printed when run. */
  output: string | undefined;
  /** The definition `bonsai add` wrote. */
  definition: Record<string, unknown> | undefined;
  /** Stops both processes and removes the work folder. */
  stop(): Promise<void>;
}

const OWNER = 'demo';
const NAME = 'hello-world';
const TAG = '0.0.1';
const TOKEN = 'demo-github-token';

export async function runDemo(options: DemoOptions): Promise<DemoRun> {
  const work = await mkdtemp(path.join(tmpdir(), 'bonsai-demo-'));
  const secret = randomBytes(16).toString('hex');
  const adminToken = randomBytes(16).toString('hex');
  let github: ChildProcess | undefined;
  let registry: ChildProcess | undefined;
  const result: DemoRun = {
    ok: false,
    registryUrl: undefined,
    githubApiUrl: undefined,
    output: undefined,
    definition: undefined,
    stop: async () => {
      await Promise.all([stop(registry), stop(github)]);
      await rm(work, { recursive: true, force: true });
    },
  };
  const step = async <T>(done: (value: T) => string, body: () => Promise<T>): Promise<T> => {
    try {
      const value = await body();
      options.say(`✓ ${done(value)}`);
      return value;
    } catch (err) {
      options.say(`✗ ${(err as Error).message}`);
      throw err;
    }
  };

  try {
    const urls = await step(
      (u) => `GitHub emulator at ${u.apiUrl}: repository ${OWNER}/${NAME}, tag ${TAG} pushed`,
      async () => {
        github = tsProcess(
          'test/github-emulator/main.ts',
          ['--repo', `${OWNER}/${NAME}`, '--dir', 'examples/hello-world', '--tag', TAG, '--token', TOKEN],
          {},
        );
        return JSON.parse(await waitForLine(github, (l) => l.startsWith('{'), 'the GitHub emulator')) as {
          apiUrl: string;
        };
      },
    );
    result.githubApiUrl = urls.apiUrl;

    const registryUrl = await step(
      (r) => `registry at ${r.url} (${r.backends})`,
      async () => {
        const port = await freePort();
        const url = `http://127.0.0.1:${port}`;
        registry = tsProcess(
          'cli/main.ts',
          ['registry', 'serve', '--port', String(port), '--host', '127.0.0.1'],
          {
            PUBLIC_URL: url,
            DATA_DIR: path.join(work, 'registry-data'),
            GITHUB_API_URL: urls.apiUrl,
            GITHUB_TOKEN: TOKEN,
            WEBHOOK_SECRET: secret,
            ADMIN_TOKEN: adminToken,
            // Only the webhook may ingest here: the demo shows that path.
            POLL_INTERVAL: '0',
            LOG_LEVEL: 'info',
            ...options.registryEnv,
          },
        );
        const line = await waitForLine(registry, (l) => l.includes('registry listening'), 'the registry');
        const log = JSON.parse(line) as Record<string, string>;
        return { url, backends: [log.database, log.cache, log.artifacts].filter(Boolean).join(', ') };
      },
    ).then((r) => r.url);
    result.registryUrl = registryUrl;

    await step(
      () =>
        `webhook on ${OWNER}/${NAME} → ${registryUrl}/webhooks/github (signed with WEBHOOK_SECRET), repository registered`,
      async () => {
        const hook = await fetch(`${urls.apiUrl}/repos/${OWNER}/${NAME}/hooks`, {
          method: 'POST',
          headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            config: { url: `${registryUrl}/webhooks/github`, content_type: 'json', secret },
            events: ['release'],
          }),
        });
        if (hook.status !== 201)
          throw new Error(`creating the webhook answered ${hook.status}: ${await hook.text()}`);
        const registered = await fetch(`${registryUrl}/api/v1/repos`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ repository: `${OWNER}/${NAME}` }),
        });
        if (!registered.ok)
          throw new Error(`registering answered ${registered.status}: ${await registered.text()}`);
      },
    );

    const dist = path.join(work, 'dist');
    await step(
      (out) => `bonsai pack: ${out}`,
      async () => {
        const run = await bonsai([
          'pack',
          'examples/hello-world',
          '--version',
          TAG,
          '--repo',
          NAME,
          '--out',
          dist,
        ]);
        if (run.code !== 0) throw new Error(`bonsai pack failed (${run.code}): ${run.stderr.trim()}`);
        const summary = `${run.stdout}\n${run.stderr}`.split('\n').find((l) => l.startsWith('packed '));
        return summary ?? 'packed';
      },
    );

    await step(
      (out) => `bonsai publish: ${out}`,
      async () => {
        const run = await bonsai(
          [
            'publish',
            'examples/hello-world',
            '--repo',
            `${OWNER}/${NAME}`,
            '--tag',
            TAG,
            '--dist',
            dist,
            '--github-api-url',
            urls.apiUrl,
            '--no-pacing',
          ],
          { GITHUB_TOKEN: TOKEN },
        );
        if (run.code !== 0) throw new Error(`bonsai publish failed (${run.code}): ${run.stderr.trim()}`);
        return run.stdout.trim().split('\n')[0] ?? '';
      },
    );

    await step(
      (builds) =>
        `registry ingested ${OWNER}/${NAME} ${TAG} from the webhook: ${builds} builds re-hashed and served`,
      () => waitForVersion(registryUrl, options.ingestTimeout ?? 60),
    );

    const definitionFile = path.join(work, 'hello-world.yml');
    const definition = await step(
      () => `bonsai add ${OWNER}/${NAME}:${TAG}: definition written to ${definitionFile}`,
      async () => {
        const run = await bonsai([
          'add',
          `${OWNER}/${NAME}:${TAG}`,
          '--registry',
          registryUrl,
          '--output',
          definitionFile,
        ]);
        if (run.code !== 0) throw new Error(`bonsai add failed (${run.code}): ${run.stderr.trim()}`);
        return (await readFile(definitionFile, 'utf8')).trim();
      },
    );
    options.say(definition.replace(/^/gm, '    '));
    result.definition = load(definition) as Record<string, unknown>;

    const builds = (result.definition.spec as { builds: DefinitionBuild[] }).builds;
    const build = await step(
      (b) => `downloaded ${b.url}: sha512 matches the definition`,
      async () => {
        const chosen = pickBuild(builds);
        if (!chosen)
          throw new Error(
            `no build of the definition matches this host (${process.platform}/${process.arch})`,
          );
        const folder = await installBuild(chosen, path.join(work, 'agent-cache'));
        return { ...chosen, folder };
      },
    );

    result.output = await step(
      (out) => `ran bin/hello-world from the extracted asset: ${out}`,
      () => runFromAsset(build.folder, 'hello-world'),
    );
    result.ok = result.output === 'Hello World';
    if (!result.ok) options.say(`✗ expected "Hello World", got ${JSON.stringify(result.output)}`);
  } catch {
    result.ok = false;
  }
  return result;
}

/** Waits until the registry lists TAG; then returns how many builds it serves. */
async function waitForVersion(registryUrl: string, timeoutSeconds: number): Promise<number> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const response = await fetch(`${registryUrl}/api/v1/assets/${OWNER}/${NAME}`);
    if (response.ok) {
      const asset = (await response.json()) as { versions: { version: string; assets: unknown[] }[] };
      const version = asset.versions.find((v) => v.version === TAG);
      if (version) return version.assets.length;
    }
    if (Date.now() > deadline) {
      const status = await fetch(`${registryUrl}/api/v1/assets/${OWNER}/${NAME}/status`).then((r) =>
        r.text(),
      );
      throw new Error(`the registry did not serve ${TAG} within ${timeoutSeconds} s; its status: ${status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
