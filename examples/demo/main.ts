/**
 * `npm run demo [-- --once]`: the hello-world asset from package to `bonsai add`, on embedded defaults
 * (PGlite, in-process cache, build URLs linking to GitHub), against the GitHub emulator. Nothing to set
 * up beyond `npm install`. Without --once the registry keeps running until Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { runDemo } from './demo.js';

const { values } = parseArgs({ options: { once: { type: 'boolean', default: false } }, strict: true });
const say = (line: string) => process.stdout.write(line + '\n');

say('bonsai demo: hello-world from package to `bonsai add`, on embedded defaults');
const demo = await runDemo({ say });
const finish = async (code: number) => {
  await demo.stop();
  process.exit(code);
};

if (!demo.ok) {
  say('demo failed: see the ✗ line above');
  await finish(1);
} else if (values.once) {
  say(`asset page (open it in a browser): ${demo.registryUrl}/assets/demo/hello-world`);
  say('demo passed');
  await finish(0);
} else {
  say('');
  say(`the registry keeps running at ${demo.registryUrl} (GitHub emulator at ${demo.githubApiUrl}); try:`);
  say(`  open ${demo.registryUrl}/assets/demo/hello-world in a browser (the asset's page)`);
  say(`  curl ${demo.registryUrl}/api/v1/assets/demo/hello-world`);
  say(`  npm run bonsai -- add demo/hello-world --registry ${demo.registryUrl}`);
  say('Ctrl-C to stop');
  process.once('SIGINT', () => void finish(0));
  process.once('SIGTERM', () => void finish(0));
}
