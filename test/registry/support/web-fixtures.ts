import { bonsaiYml, publish, type BuildSpec } from './fixtures.js';
import type { Harness } from './harness.js';

/**
 * The registry the web page suites browse: a Supported asset with three versions (one a pre-release), an
 * asset written by an attacker (hostile description, tag, README and release notes), a release whose
 * bonsai.yml is broken, and enough small assets for two pages of results.
 */

export const LINUX: BuildSpec = {
  platform: 'linux',
  arch: 'amd64',
  filters: ["entity.system.os == 'linux'", "entity.system.arch == 'amd64'"],
};
export const WINDOWS: BuildSpec = {
  platform: 'Windows',
  arch: 'amd64',
  filters: ["entity.system.os == 'windows'"],
};
export const ARM64: BuildSpec = {
  platform: 'linux',
  arch: 'arm64',
  filters: ["entity.system.os == 'linux'", "entity.system.arch == 'arm64'"],
};

export const SLACK_README = [
  '# Sensu Slack handler',
  '',
  'Sends **Slack** alerts. See [the docs](docs/usage.md) and ![logo](img/logo.png).',
  '',
  '```sh',
  'sensu-slack-handler --channel "#ops"',
  '```',
  '',
].join('\n');

/** Every trick a README author could try; none may run or escape its box. */
export const HOSTILE = {
  description: 'Totally safe</title><script>window.__pwned=1;alert(1)</script>',
  tag: '<img src=x onerror="window.__pwned=2">',
  readme: [
    '# Evil',
    '<script>window.__pwned=3;alert(3)</script>',
    '[click me](javascript:window.__pwned=4)',
    '<a href="JaVaScRiPt:window.__pwned=5">also me</a>',
    '<img src="x" onerror="window.__pwned=6">',
    '<svg onload="window.__pwned=7"></svg>',
    '<iframe src="javascript:window.__pwned=8"></iframe>',
    '</title></main><style>body{display:none}</style><div id="injected">injected</div>',
    '',
  ].join('\n'),
  notes:
    '<script>window.__pwned=9</script>[x](javascript:alert(9)) <b onmouseover="window.__pwned=10">notes</b>',
};

export const BULK = 21;

export async function fillWebRegistry(h: Harness, bulk = BULK): Promise<void> {
  h.gh.state.createRepo('sensu/sensu-slack-handler', { description: 'Sends Slack alerts' });
  await publish(h.gh, 'sensu/sensu-slack-handler', '0.9.0', { builds: [LINUX] });
  await publish(h.gh, 'sensu/sensu-slack-handler', '1.0.0', {
    builds: [LINUX, WINDOWS],
    yml: bonsaiYml([LINUX, WINDOWS]),
    readme: SLACK_README,
    notes: '## Changes\n\n- Adds **threads**',
  });
  await publish(h.gh, 'sensu/sensu-slack-handler', '1.1.0-rc.1', {
    builds: [LINUX, WINDOWS],
    yml: bonsaiYml([LINUX, WINDOWS]),
    prerelease: true,
  });
  await h.addRepo('sensu/sensu-slack-handler', { tier: 'Supported', tags: ['slack', 'handler'] });

  h.gh.state.createRepo('evil/xss-asset', { description: HOSTILE.description });
  await publish(h.gh, 'evil/xss-asset', '1.0.0', {
    builds: [ARM64],
    yml: bonsaiYml([ARM64]),
    readme: HOSTILE.readme,
    notes: HOSTILE.notes,
  });
  await h.addRepo('evil/xss-asset', { tags: [HOSTILE.tag] });

  h.gh.state.createRepo('broken/bad-yml', { description: 'A release with a broken bonsai.yml' });
  await publish(h.gh, 'broken/bad-yml', '0.1.0', {
    yml: [
      '---',
      'description: "#{repo}"',
      'builds:',
      '- platform: "linux"',
      '  arch: "amd64"',
      '  asset_filename: "#{repo}_#{version}_linux_amd64.tar.gz"',
      '',
    ].join('\n'),
    builds: [LINUX],
  });
  await h.addRepo('broken/bad-yml');

  for (let i = 1; i <= bulk; i++) {
    const name = `bulk/check-${String(i).padStart(2, '0')}`;
    h.gh.state.createRepo(name, { description: `Bulk check number ${i}` });
    await publish(h.gh, name, '1.0.0', { builds: [LINUX], yml: bonsaiYml([LINUX]) });
    await h.addRepo(name, { tags: ['bulk'] });
  }
}
