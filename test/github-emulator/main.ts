/**
 * The GitHub emulator as a process, for the demo: `npx tsx test/github-emulator/main.ts [flags]`.
 * Prints one JSON line on stdout (`apiUrl`, `uploadsUrl`, `webUrl`, `cdnUrl`, `tagged`) once it listens,
 * then runs until SIGINT or SIGTERM.
 *
 *   --port N           the API origin's port (GITHUB_EMULATOR_PORT; default any free port)
 *   --seed FILE        a JSON seed (see seed.ts) (GITHUB_EMULATOR_SEED)
 *   --repo OWNER/NAME  create a public repository
 *   --dir DIR --tag T  commit DIR's files to that repository and tag the commit T
 *   --token TOKEN      a write token for the repository's owner (GITHUB_EMULATOR_TOKEN)
 *   --hook URL         a `release` webhook on the repository, signed with --hook-secret
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startGitHubEmulator } from './emulator.js';
import { applySeed, type Seed } from './seed.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    seed: { type: 'string' },
    repo: { type: 'string' },
    dir: { type: 'string' },
    tag: { type: 'string' },
    token: { type: 'string' },
    hook: { type: 'string' },
    'hook-secret': { type: 'string' },
  },
  strict: true,
});

const env = process.env;
const port = Number(values.port ?? env.GITHUB_EMULATOR_PORT ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(
    `github-emulator: --port must be a port number, got ${values.port ?? env.GITHUB_EMULATOR_PORT}\n`,
  );
  process.exit(2);
}

/** The flags, as a seed applied after the seed file. */
function seedFromFlags(): Seed {
  const token = values.token ?? env.GITHUB_EMULATOR_TOKEN;
  if (!values.repo) {
    if (values.dir || values.tag || values.hook) {
      process.stderr.write('github-emulator: --dir, --tag and --hook need --repo OWNER/NAME\n');
      process.exit(2);
    }
    return { tokens: token ? [{ token, login: 'bonsai', write: true }] : [] };
  }
  const owner = values.repo.split('/')[0] ?? 'bonsai';
  const commit = {
    ...(values.dir ? { dir: values.dir } : { files: {} }),
    ...(values.tag ? { tag: values.tag } : {}),
  };
  const hookSecret = values['hook-secret'];
  return {
    tokens: token ? [{ token, login: owner, write: true }] : [],
    repos: [
      {
        name: values.repo,
        commits: values.dir || values.tag ? [commit] : [],
        hooks: values.hook
          ? [{ url: values.hook, events: ['release'], ...(hookSecret ? { secret: hookSecret } : {}) }]
          : [],
      },
    ],
  };
}

const emulator = await startGitHubEmulator({ port });
const tagged: Record<string, string> = {};
try {
  const seedPath = values.seed ?? env.GITHUB_EMULATOR_SEED;
  if (seedPath) {
    const seed = JSON.parse(readFileSync(seedPath, 'utf8')) as Seed;
    Object.assign(tagged, applySeed(emulator.state, seed, dirname(resolve(seedPath))));
  }
  Object.assign(tagged, applySeed(emulator.state, seedFromFlags(), process.cwd()));
} catch (error) {
  process.stderr.write(
    `github-emulator: cannot seed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  await emulator.close();
  process.exit(1);
}

const { apiUrl, uploadsUrl, webUrl, cdnUrl } = emulator;
process.stdout.write(`${JSON.stringify({ apiUrl, uploadsUrl, webUrl, cdnUrl, tagged })}\n`);

const stop = () => {
  void emulator.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
