import { describe, expect, it } from 'vitest';
import { checkInterpolation, interpolate } from './interpolate.js';

const vars = { repo: 'sensu-slack-handler', version: 'v1.5.0' };

describe('interpolate', () => {
  it.each([
    ['#{repo}_#{version}_linux_amd64.tar.gz', 'sensu-slack-handler_v1.5.0_linux_amd64.tar.gz'],
    ['#{repo}-#{version}-SHA512SUMS', 'sensu-slack-handler-v1.5.0-SHA512SUMS'],
    ['#{version}/#{version}', 'v1.5.0/v1.5.0'],
    ['hard-coded_#{version}.tar.gz', 'hard-coded_v1.5.0.tar.gz'],
    ['no-tokens.tar.gz', 'no-tokens.tar.gz'],
  ])('%s → %s (the tag verbatim, v included)', (template, expected) => {
    expect(interpolate(template, vars)).toEqual({ value: expected, diagnostics: [] });
  });

  it.each([
    ['#{name}_#{version}.tar.gz', "unknown token '#{name}'", "did you mean '#{repo}'"],
    ['#{repo}_#{tag}.tar.gz', "unknown token '#{tag}'", "did you mean '#{version}'"],
    ['#{ repo }.tar.gz', "unknown token '#{ repo }'", "did you mean '#{repo}'"],
    ['#{os}_#{arch}.tar.gz', "unknown token '#{os}'", 'Bonsai substitutes only #{repo} and #{version}'],
    ['#{repo.tar.gz', "unterminated token '#{repo.tar.gz' (no closing '}')", 'Bonsai substitutes only'],
  ])('%s is an error naming the token and its line', (template, named, advice) => {
    const [problem, ...rest] = checkInterpolation(template, "build #3 'asset_filename'", {
      line: 12,
      column: 19,
    });
    expect(problem).toMatchObject({
      code: 'INTERPOLATION_UNKNOWN_TOKEN',
      severity: 'error',
      line: 12,
      column: 19,
    });
    expect(problem?.message).toContain("build #3 'asset_filename'");
    expect(problem?.message).toContain(named);
    expect(problem?.message).toContain(advice);
    if (template.startsWith('#{os}')) expect(rest[0]?.message).toContain("'#{arch}'");
  });

  it('leaves an unknown token as written in the value', () => {
    expect(interpolate('#{repo}_#{os}', vars).value).toBe('sensu-slack-handler_#{os}');
  });

  it('reports a value that interpolates to nothing', () => {
    const result = interpolate('#{version}', { repo: 'r', version: '' }, "build #1 'sha_filename'");
    expect(result.diagnostics.map((d) => d.message)).toEqual([
      "build #1 'sha_filename' value could not be interpolated",
    ]);
  });
});
