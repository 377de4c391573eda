import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubEmulator, type GitHubEmulator } from '../github-emulator/index.js';
import { bonsai, initProject, sh } from './fixture.js';

/**
 * The GitHub Action (action/): its script run as the composite step runs it, with the variables GitHub
 * Actions sets, against the GitHub emulator; the CLI from source stands in for the installed `bonsai`.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const script = path.join(root, 'action/publish.sh');
const BONSAI_BIN = `${path.join(root, 'node_modules/.bin/tsx')} ${path.join(root, 'cli/main.ts')}`;
const REPO = 'acme/hello-world';
const TOKEN = 'action-token';

let gh: GitHubEmulator;
beforeAll(async () => {
  gh = await startGitHubEmulator();
});
afterAll(() => gh.close());

function runScript(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function taggedProject() {
  const { root: parent, dir } = await initProject();
  for (const args of [
    ['init', '-q'],
    ['add', '-A'],
    ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'first'],
    ['tag', '1.0.0'],
  ])
    expect(sh('git', args, dir).status).toBe(0);
  const keys = await bonsai(['keygen', '--key', 'release.key', '--pub', 'release.pub'], { cwd: parent });
  expect(keys.code, keys.stderr).toBe(0);
  return { parent, dir, key: await readFile(path.join(parent, 'release.key'), 'utf8') };
}

const actionEnv = (dir: string, extra: Record<string, string>) => ({
  GITHUB_REF_TYPE: 'tag',
  GITHUB_REF_NAME: '1.0.0',
  GITHUB_REPOSITORY: REPO,
  GITHUB_API_URL: gh.apiUrl,
  GITHUB_TOKEN: TOKEN,
  INPUT_DIRECTORY: dir,
  INPUT_PUBLISH_ARGS: '--no-pacing',
  BONSAI_BIN,
  ...extra,
});

describe('the GitHub Action', () => {
  it('is a composite action whose step runs publish.sh with the inputs it reads', async () => {
    const action = load(await readFile(path.join(root, 'action/action.yml'), 'utf8')) as {
      runs: { using: string; steps: { run?: string; env?: Record<string, string> }[] };
    };
    expect(action.runs.using).toBe('composite');
    const step = action.runs.steps.find((s) => s.run?.includes('publish.sh'))!;
    expect(Object.keys(step.env!).sort()).toEqual([
      'BONSAI_SIGNING_KEY',
      'GITHUB_TOKEN',
      'INPUT_DIRECTORY',
      'INPUT_PUBLISH_ARGS',
      'INPUT_REQUIRE_SIGNATURE',
    ]);
  });

  it('packs, signs and publishes the pushed tag; the uploaded signature verifies with minisign', async () => {
    gh.reset();
    gh.state.createRepo(REPO);
    gh.state.addToken(TOKEN, { login: 'github-actions', write: true });
    gh.state.commit(REPO, { files: { 'README.md': 'x' }, tag: '1.0.0' });
    const { parent, dir, key } = await taggedProject();
    const output = path.join(parent, 'github-output');
    await writeFile(output, '');
    const run = await runScript(actionEnv(dir, { BONSAI_SIGNING_KEY: key, GITHUB_OUTPUT: output }));
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(output, 'utf8')).toBe('tag=1.0.0\n');

    const release = gh.state.releases(REPO).find((r) => r.tag_name === '1.0.0')!;
    expect(release.draft).toBe(false);
    const sums = 'hello-world_1.0.0_sha512-checksums.txt';
    const names = release.assets.map((a) => a.name).sort();
    expect(names).toContain(`${sums}.minisig`);
    for (const name of [sums, `${sums}.minisig`])
      await writeFile(
        path.join(parent, name),
        gh.state.assetBytes(release.assets.find((a) => a.name === name)!.id),
      );
    const verified = sh('minisign', ['-V', '-p', 'release.pub', '-m', sums], parent);
    expect(verified.status, verified.stderr).toBe(0);
    // The signed timestamp is the tagged commit's time (SOURCE_DATE_EPOCH), not the run's.
    const commitTime = sh('git', ['log', '-1', '--format=%ct', '1.0.0'], dir).stdout.trim();
    expect(verified.stdout).toContain(`timestamp:${commitTime}`);
  });

  it('refuses a run that is not for a tag, and an empty signing key unless allowed, before packing', async () => {
    const { dir } = await taggedProject();
    const branch = await runScript(actionEnv(dir, { GITHUB_REF_TYPE: 'branch', GITHUB_REF_NAME: 'main' }));
    expect(branch.code).toBe(1);
    expect(branch.stderr).toContain("::error::this action publishes a tag: run it on 'push: tags'");
    const unsigned = await runScript(actionEnv(dir, {}));
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toContain('::error::signing-key is empty');
    expect(sh('ls', [dir]).stdout).not.toContain('dist');
  });
});
