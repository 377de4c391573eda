import { describe, expect, it } from 'vitest';
import { parseBonsaiConfig, pickConfigFile } from './config.js';
import type { Diagnostic } from './diagnostics.js';

/** A valid build, indented for a list item under `builds:`. */
const BUILD = `  - platform: linux
    arch: amd64
    asset_filename: "#{repo}_#{version}_linux_amd64.tar.gz"
    sha_filename: "#{repo}_#{version}_sha512-checksums.txt"
    filter:
      - "entity.system.os == 'linux'"
      - "entity.system.arch == 'amd64'"
`;
const VALID = `---\ndescription: "#{repo}"\nbuilds:\n${BUILD}`;

function problems(text: string): string[] {
  return parseBonsaiConfig(text).diagnostics.map(
    (d: Diagnostic) => `${d.severity} ${d.code} ${d.line}:${d.column}`,
  );
}

function messages(text: string): string[] {
  return parseBonsaiConfig(text).diagnostics.map((d) => d.message);
}

describe('parseBonsaiConfig: a valid file', () => {
  it('reads description, builds with their positions, and no diagnostics', () => {
    const { config, diagnostics } = parseBonsaiConfig(VALID);
    expect(diagnostics).toEqual([]);
    expect(config?.description).toBe('#{repo}');
    expect(config?.builds).toEqual([
      {
        number: 1,
        platform: 'linux',
        arch: 'amd64',
        assetFilename: '#{repo}_#{version}_linux_amd64.tar.gz',
        shaFilename: '#{repo}_#{version}_sha512-checksums.txt',
        filters: ["entity.system.os == 'linux'", "entity.system.arch == 'amd64'"],
        line: 4,
        positions: {
          platform: { line: 4, column: 15 },
          arch: { line: 5, column: 11 },
          assetFilename: { line: 6, column: 21 },
          shaFilename: { line: 7, column: 19 },
          filters: [
            { line: 9, column: 9 },
            { line: 10, column: 9 },
          ],
          filterStarts: [
            { line: 9, column: 10 },
            { line: 10, column: 10 },
          ],
        },
      },
    ]);
    expect(config?.annotations).toEqual({});
    expect(config?.labels).toEqual({});
  });

  /** One build made of `lines`, each `key: value` as written in bonsai.yml. */
  const oneBuild = (...lines: string[]) => `builds:\n- ${lines.join('\n  ')}\n`;

  it.each([
    ['a plain number arch (386) is read as its text', 'arch: 386', { arch: '386' }, ['BUILD_NO_FILTER']],
    [
      'a single filter string becomes a one-item list',
      `filter: "entity.system.os == 'linux'"`,
      { filters: ["entity.system.os == 'linux'"] },
      [],
    ],
    ['no filter at all is an empty list', 'arch: amd64', { filters: [] }, ['BUILD_NO_FILTER']],
    ['an empty filter is an empty list', 'filter:', { filters: [] }, ['BUILD_NO_FILTER']],
  ])('%s', (_title, line, expected, codes) => {
    const lines = ['platform: linux', 'asset_filename: a.tar.gz', 'sha_filename: s.txt', line];
    if (!line.startsWith('arch:')) lines.push('arch: amd64');
    const { config, diagnostics } = parseBonsaiConfig(oneBuild(...lines));
    expect(diagnostics.map((d) => d.code)).toEqual(codes);
    expect(config?.builds[0]).toMatchObject(expected);
  });

  it('loads a document indented by two spaces with whitespace-only lines and no final newline', () => {
    const text = `---\n  description: "#{repo}"\n  builds:\n  - platform: "linux"\n    arch: "amd64"\n    asset_filename: "a.tar.gz"\n    sha_filename: "s.txt"\n  \n  - platform: "OSX"\n    arch: "amd64"\n    asset_filename: "b.tar.gz"\n    sha_filename: "s.txt"`;
    const { config, diagnostics } = parseBonsaiConfig(text);
    expect(diagnostics.map((d) => `${d.code} ${d.line}`)).toEqual(['BUILD_NO_FILTER 4', 'BUILD_NO_FILTER 9']);
    expect(config?.builds.map((b) => `${b.platform}/${b.arch}@${b.line}`)).toEqual([
      'linux/amd64@4',
      'OSX/amd64@9',
    ]);
  });

  it('ignores a byte-order mark', () => {
    expect(parseBonsaiConfig('\ufeff' + VALID).diagnostics).toEqual([]);
  });

  it('accepts `filters:` as an alias, with a warning at its line', () => {
    const text = VALID.replace('    filter:', '    filters:');
    const { config, diagnostics } = parseBonsaiConfig(text);
    expect(config?.builds[0]?.filters).toHaveLength(2);
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.column}`)).toEqual([
      'warning BUILD_FILTERS_ALIAS 8:5',
    ]);
    expect(diagnostics[0]?.message).toContain("Bonsai ignores (it reads only 'filter')");
  });

  it('prefixes annotation keys, keeps already prefixed ones, and stringifies scalars with a warning', () => {
    const text = `${VALID}annotations:\n  suggested_asset_url: /x\n  io.sensu.bonsai.tier: Supported\n  retries: 3\n  enabled: true\n`;
    const { config, diagnostics } = parseBonsaiConfig(text);
    expect(config?.annotations).toEqual({
      'io.sensu.bonsai.suggested_asset_url': '/x',
      'io.sensu.bonsai.tier': 'Supported',
      'io.sensu.bonsai.retries': '3',
      'io.sensu.bonsai.enabled': 'true',
    });
    expect(diagnostics.map((d) => `${d.code} ${d.line}`)).toEqual([
      'ANNOTATION_VALUE_STRINGIFIED 14',
      'ANNOTATION_VALUE_STRINGIFIED 15',
    ]);
    expect(diagnostics[0]?.message).toContain('served as the string "3"');
  });

  it('follows YAML anchors and aliases', () => {
    const text = `builds:\n- platform: linux\n  arch: amd64\n  asset_filename: a\n  sha_filename: s\n  filter: &linux\n  - "entity.system.os == 'linux'"\n- platform: linux\n  arch: arm64\n  asset_filename: b\n  sha_filename: s\n  filter: *linux\n`;
    const { config, diagnostics } = parseBonsaiConfig(text);
    // Both builds match every Linux machine: the overlap is the only thing to say.
    expect(diagnostics.map((d) => d.code)).toEqual(['BUILDS_OVERLAP']);
    expect(config?.builds[1]?.filters).toEqual(["entity.system.os == 'linux'"]);
  });

  it('reads labels as strings without a prefix, stringifying scalars with a warning', () => {
    const { config, diagnostics } = parseBonsaiConfig(`${VALID}labels:\n  team: ops\n  level: 2\n`);
    expect(config?.labels).toEqual({ team: 'ops', level: '2' });
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.column}`)).toEqual([
      'warning LABEL_VALUE_STRINGIFIED 13:10',
    ]);
  });

  it('warns about unknown keys at the top level and in a build', () => {
    const text = `${VALID}    checksum: sha256\nhomepage: x\n`;
    expect(problems(text)).toEqual(['warning CONFIG_UNKNOWN_KEY 12:1', 'warning BUILD_UNKNOWN_KEY 11:5']);
  });

  it('warns about a filter that can never match, at the filter line', () => {
    const text = VALID.replace("entity.system.arch == 'amd64'", "entity.system.arch == 'armv7'");
    const { config, diagnostics } = parseBonsaiConfig(text);
    expect(config).toBeDefined();
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}`)).toEqual([
      'warning FILTER_NEVER_MATCHES 10',
    ]);
  });
});

describe('parseBonsaiConfig: broken files', () => {
  it.each([
    ['an empty file', '', ['error CONFIG_NOT_MAPPING 1:1']],
    ['a top-level list', '- a\n- b\n', ['error CONFIG_NOT_MAPPING 1:1']],
    ['a top-level string', 'hello\n', ['error CONFIG_NOT_MAPPING 1:1']],
    ['a YAML syntax error', 'builds:\n  - platform: linux\n   arch: amd64\n', ['error YAML_SYNTAX 3:4']],
    ['no builds key', 'description: x\n', ['error CONFIG_NO_BUILDS 1:1']],
    ['an empty builds list', 'builds: []\n', ['error CONFIG_NO_BUILDS 1:9']],
    ['a null builds', 'builds:\n', ['error CONFIG_NO_BUILDS 1:1']],
    ['builds as a mapping', 'builds:\n  platform: linux\n', ['error CONFIG_BUILDS_NOT_LIST 2:3']],
    ['a build that is a string', `builds:\n${BUILD}  - linux\n`, ['error BUILD_MALFORMED 9:5']],
    [
      'a missing sha_filename',
      'builds:\n- platform: linux\n  arch: amd64\n  asset_filename: a\n',
      ['error BUILD_MISSING_FIELD 2:3'],
    ],
    [
      'an empty asset_filename',
      'builds:\n- platform: linux\n  arch: amd64\n  asset_filename: ""\n  sha_filename: s\n',
      ['error BUILD_MISSING_FIELD 4:19'],
    ],
    [
      'a platform that is a mapping',
      'builds:\n- platform: {os: linux}\n  arch: amd64\n  asset_filename: a\n  sha_filename: s\n',
      ['error BUILD_FIELD_NOT_STRING 2:13'],
    ],
    [
      'filter and filters together',
      `builds:\n${BUILD}    filters: []\n`,
      ['error BUILD_FILTER_AND_FILTERS 9:5'],
    ],
    [
      'a filter item that is a mapping',
      'builds:\n- platform: l\n  arch: a\n  asset_filename: a\n  sha_filename: s\n  filter:\n  - {a: b}\n',
      ['error BUILD_FILTER_NOT_STRING 7:5'],
    ],
    [
      'an empty filter item',
      'builds:\n- platform: l\n  arch: a\n  asset_filename: a\n  sha_filename: s\n  filter:\n  -\n  - "true"\n',
      ['error BUILD_FILTER_NOT_STRING 7:3'],
    ],
    [
      'a filter that is not JavaScript',
      'builds:\n- platform: l\n  arch: a\n  asset_filename: a\n  sha_filename: s\n  filter: "entity.system.os == (\'linux\'"\n',
      ['error FILTER_SYNTAX 6:11'],
    ],
    [
      'an unknown interpolation token',
      'builds:\n- platform: l\n  arch: a\n  asset_filename: "#{repo}_#{tag}.tar.gz"\n  sha_filename: s\n',
      ['error INTERPOLATION_UNKNOWN_TOKEN 4:19'],
    ],
    [
      'an unterminated token',
      'builds:\n- platform: l\n  arch: a\n  asset_filename: a\n  sha_filename: "#{repo_sha.txt"\n',
      ['error INTERPOLATION_UNKNOWN_TOKEN 5:17'],
    ],
    ['annotations as a list', `${VALID}annotations:\n  - a\n`, ['error ANNOTATIONS_NOT_MAPPING 12:3']],
    [
      'an annotation whose value is a list',
      `${VALID}annotations:\n  a: [1, 2]\n`,
      ['error ANNOTATION_VALUE_INVALID 12:6'],
    ],
    [
      'the same annotation with and without its prefix',
      `${VALID}annotations:\n  tier: a\n  io.sensu.bonsai.tier: b\n`,
      ['error ANNOTATION_VALUE_INVALID 13:3'],
    ],
    ['labels as a string', `${VALID}labels: x\n`, ['error LABELS_NOT_MAPPING 11:9']],
    [
      'a label whose value is a mapping',
      `${VALID}labels:\n  a: {b: c}\n`,
      ['error LABEL_VALUE_INVALID 12:6'],
    ],
    [
      'a description that is a list',
      `description: [a]\nbuilds:\n${BUILD}`,
      ['error CONFIG_DESCRIPTION_NOT_STRING 1:14'],
    ],
    ['a duplicate key', `${VALID}description: again\n`, ['error YAML_DUPLICATE_KEY 11:1']],
    ['a second document', `${VALID}---\nbuilds: []\n`, ['error YAML_MULTIPLE_DOCUMENTS 12:1']],
    [
      'an asset file name with a folder',
      'builds:\n- platform: l\n  arch: a\n  asset_filename: "dist/#{repo}.tar.gz"\n  sha_filename: s\n',
      ['error RELEASE_FILE_NAME_INVALID 4:19'],
    ],
    ['an alias with no anchor', `${VALID}annotations: *common\n`, ['error YAML_ALIAS 11:14']],
  ])('%s', (_title, text, expected) => {
    const result = parseBonsaiConfig(text);
    expect(problems(text)).toEqual(expected);
    expect(result.config).toBeUndefined();
  });

  it('words errors as Bonsai does, so users can search for them', () => {
    expect(messages('description: x\n')[0]).toMatch(/^Bonsai configuration has no 'builds' section/);
    expect(messages('builds:\n- platform: l\n  arch: a\n  asset_filename: a\n')[0]).toBe(
      "build #1 is missing a 'sha_filename' value",
    );
    expect(messages('builds:\n- platform: l\n  arch: a\n  sha_filename: s\n')[0]).toBe(
      "build #1 is missing an 'asset_filename' value",
    );
    expect(messages(`builds:\n${BUILD}  - linux\n`)[0]).toMatch(
      /^build #2 is malformed \(perhaps missing indentation\)/,
    );
  });

  it('names both lines of a duplicate platform/arch', () => {
    expect(messages(`builds:\n${BUILD}${BUILD}`)[0]).toContain('build #2 (line 9)');
    expect(messages(`builds:\n${BUILD}${BUILD}`)[0]).toContain('build #1 (line 2)');
  });

  it('names the unknown token and suggests the right one', () => {
    const [message] = messages(
      'builds:\n- platform: l\n  arch: a\n  asset_filename: "#{repo}_#{tag}.tar.gz"\n  sha_filename: s\n',
    );
    expect(message).toContain("unknown token '#{tag}'");
    expect(message).toContain("did you mean '#{version}'");
  });

  it('reports every problem, not only the first', () => {
    const text =
      'builds:\n- platform: l\n  arch: a\n- platform: m\n  arch: b\n  asset_filename: "#{x}"\n  sha_filename: s\n';
    expect(problems(text)).toEqual([
      'error BUILD_MISSING_FIELD 2:3',
      'error BUILD_MISSING_FIELD 2:3',
      'error INTERPOLATION_UNKNOWN_TOKEN 6:19',
    ]);
  });
});

describe('pickConfigFile', () => {
  it.each([
    [['README.md', 'bonsai.yml'], 'bonsai.yml'],
    [['.bonsai.yml', 'main.go'], '.bonsai.yml'],
    [['.bonsai.yaml'], '.bonsai.yaml'],
    [['bonsai.yaml'], 'bonsai.yaml'],
  ])('finds %j → %s', (names, expected) => {
    expect(pickConfigFile(names)).toEqual({ name: expected, diagnostics: [] });
  });

  it('reports a missing file with the names it looked for', () => {
    const result = pickConfigFile(['README.md']);
    expect(result.name).toBeUndefined();
    expect(result.diagnostics[0]?.code).toBe('CONFIG_NOT_FOUND');
    expect(result.diagnostics[0]?.message).toMatch(
      /^cannot find a Bonsai configuration file \(looked for bonsai.yml, bonsai.yaml, .bonsai.yml, .bonsai.yaml/,
    );
  });

  it('refuses two configuration files, naming both', () => {
    const result = pickConfigFile(['.bonsai.yml', 'bonsai.yml']);
    expect(result.name).toBeUndefined();
    expect(result.diagnostics[0]?.code).toBe('CONFIG_AMBIGUOUS');
    expect(result.diagnostics[0]?.message).toContain('both bonsai.yml and .bonsai.yml exist');
  });
});
