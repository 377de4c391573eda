import { describe, expect, it } from 'vitest';
import { repositoryNameFromUrl } from './git.js';

describe('repositoryNameFromUrl', () => {
  it.each([
    ['https://github.com/sensu/sensu-slack-handler.git', 'sensu-slack-handler'],
    ['https://github.com/sensu/sensu-slack-handler', 'sensu-slack-handler'],
    ['https://github.com/sensu/sensu-slack-handler/', 'sensu-slack-handler'],
    ['git@github.com:sensu/check-plugin-template.git\n', 'check-plugin-template'],
    ['ssh://git@ghe.example.com:2222/team/asset.git', 'asset'],
    ['/srv/git/local-asset.git', 'local-asset'],
    ['file:///srv/git/x', 'x'],
    ['', undefined],
  ])('%j -> %s', (url, name) => {
    expect(repositoryNameFromUrl(url)).toBe(name);
  });
});
