import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { realBonsaiYmlDir } from '../test/shared-dir.js';
import { checkFilters, filterSyntaxError } from './filters.js';

/** Every distinct filter of the six real bonsai.yml files in shared/fixtures/bonsai-yml. */
const FIXTURE_FILTERS = [
  "entity.system.os == 'linux'",
  "entity.system.os == 'darwin'",
  "entity.system.os == 'windows'",
  "entity.system.arch == 'amd64'",
  "entity.system.arch == '386'",
  "entity.system.arch == 'arm64'",
  "entity.system.arch == 'arm'",
  "entity.system.arch == 'armv7'",
  'entity.system.arm_version == 7',
  'entity.system.arm_version == 6',
  "entity.system.platform == 'alpine'",
  "entity.system.platform == 'amazon'",
  "entity.system.platform != 'amazon'",
  "entity.system.platform_family == 'debian'",
  "entity.system.platform_family == 'rhel'",
  "parseInt(entity.system.platform_version.split('.')[0]) == 6",
  "parseInt(entity.system.platform_version.split('.')[0]) == 7",
  "parseInt(entity.system.platform_version.split('.')[0]) == 8",
  "entity.system.platform_version.split('.')[0] == '3'",
  "entity.system.platform_version.split('.')[0] == '2018'",
  "entity.system.platform_version.split('.')[0] == '2'",
];

const OTHER_VALID_ES5 = [
  '',
  '// a comment only',
  'entity.system.os === "linux" && entity.system.arch === "amd64"',
  "entity.system.platform_version.indexOf('7') === 0",
  '/^centos/.test(entity.system.platform) ? true : false',
  'var major = parseInt(entity.system.platform_version, 10); major >= 7',
  '(function (s) { return s.os == "linux"; })(entity.system)',
  "entity.system['arch'] == 'amd64'",
  'hour(1700000000) < 12',
  'entity.labels.class == "x"',
  "entity.system.libc_type == 'musl'",
];

describe('filterSyntaxError', () => {
  it.each([...FIXTURE_FILTERS, ...OTHER_VALID_ES5])('accepts %j', (expression) => {
    expect(filterSyntaxError(expression, 0)).toBeUndefined();
  });

  // The message is sensu's (`syntax error in expression N: `) followed by otto's
  // (`(anonymous): Line L:C <what>`, 1-based column at the offending token).
  it.each([
    ["entity.system.os == 'linux", 0, '(anonymous): Line 1:21 Unexpected token ILLEGAL'],
    ['entity.system.os == "linux', 0, '(anonymous): Line 1:21 Unexpected token ILLEGAL'],
    ["(entity.system.arch == 'amd64'", 1, '(anonymous): Line 1:31 Unexpected end of input'],
    ["entity.system.arch == 'amd64')", 1, '(anonymous): Line 1:30 Unexpected token )'],
    [
      "parseInt(entity.system.platform_version.split('.')[0] == 6",
      2,
      '(anonymous): Line 1:59 Unexpected end of input',
    ],
    ["entity.system.os == 'linux' &&", 0, '(anonymous): Line 1:31 Unexpected end of input'],
    ['[1, 2].some(v => v == 1)', 0, '(anonymous): Line 1:16 Unexpected token >'],
    ['(s) => s.os == "linux"', 0, '(anonymous): Line 1:6 Unexpected token >'],
    ["let os = entity.system.os; os == 'linux'", 3, '(anonymous): Line 1:5 Unexpected identifier'],
    ["const os = 'linux'", 0, '(anonymous): Line 1:1 Unexpected reserved word'],
    ['`${entity.system.os}` == "linux"', 0, '(anonymous): Line 1:1 Unexpected token ILLEGAL'],
    ['entity.system.arm_version ** 2 == 49', 0, '(anonymous): Line 1:28 Unexpected token *'],
    ["entity.system.os 'linux'", 0, '(anonymous): Line 1:18 Unexpected string'],
    ['entity.system.arm_version 7', 0, '(anonymous): Line 1:27 Unexpected number'],
    ['entity.system.os linux', 0, '(anonymous): Line 1:18 Unexpected identifier'],
    ['entity.system.os = = "linux"', 0, '(anonymous): Line 1:20 Unexpected token ='],
    ['return true', 0, '(anonymous): Line 1:1 Illegal return statement'],
    ['/^linux', 0, '(anonymous): Line 1:1 Invalid regular expression: missing /'],
    ['/* unterminated', 0, '(anonymous): Line 1:16 Unexpected end of input'],
    [
      "entity.system.os == 'linux'\n  && entity.system.arch ==",
      0,
      '(anonymous): Line 2:27 Unexpected end of input',
    ],
    ["'é' == é é", 0, '(anonymous): Line 1:12 Unexpected identifier'],
  ])('rejects %j as expression %i', (expression, index, otto) => {
    expect(filterSyntaxError(expression, index)).toBe(`syntax error in expression ${index}: ${otto}`);
  });
});

describe('checkFilters', () => {
  const at = { line: 12, column: 7 };

  it('reports nothing for the filters of the real fixtures except the armv7 comparison', () => {
    const diagnostics = checkFilters(FIXTURE_FILTERS.map((expression) => ({ expression, position: at })));
    expect(diagnostics).toEqual([
      {
        code: 'FILTER_NEVER_MATCHES',
        severity: 'warning',
        message:
          "`entity.system.arch == 'armv7'` can never be true: entity.system.arch is Go's GOARCH, never 'armv7'; " +
          "write `entity.system.arch == 'arm'` and add the filter `entity.system.arm_version == 7`",
        line: 12,
        column: 7,
      },
    ]);
  });

  it('numbers syntax errors by their place in the build and points at the filter', () => {
    const diagnostics = checkFilters([
      { expression: "entity.system.os == 'linux'", position: { line: 3, column: 5 } },
      { expression: "entity.system.arch == 'amd64", position: { line: 4, column: 5 } },
      { expression: 'x =>', position: { line: 5, column: 5 } },
    ]);
    expect(diagnostics.map((d) => [d.code, d.severity, d.line, d.column, d.message])).toEqual([
      [
        'FILTER_SYNTAX',
        'error',
        4,
        5,
        'syntax error in expression 1: (anonymous): Line 1:23 Unexpected token ILLEGAL',
      ],
      [
        'FILTER_SYNTAX',
        'error',
        5,
        5,
        'syntax error in expression 2: (anonymous): Line 1:4 Unexpected token >',
      ],
    ]);
  });

  it('uses no position when none is given', () => {
    const [d] = checkFilters([{ expression: '(' }]);
    expect([d?.line, d?.column]).toEqual([0, 0]);
  });

  it('warns (FILTER_EMPTY, not an error: sensu accepts it) that an empty filter never matches', () => {
    const diagnostics = checkFilters([{ expression: '   ' }, { expression: '/* nothing */' }]);
    expect(diagnostics.map((d) => [d.severity, d.code, d.message])).toEqual([
      [
        'warning',
        'FILTER_EMPTY',
        'expression 0 is empty: the agent evaluates it to undefined, so this build never matches',
      ],
      [
        'warning',
        'FILTER_EMPTY',
        'expression 1 is empty: the agent evaluates it to undefined, so this build never matches',
      ],
    ]);
    expect(diagnostics[0]?.hint).toContain('remove the empty filter');
  });

  it.each([
    [
      "entity.system.arch == 'armv7'",
      'FILTER_NEVER_MATCHES',
      "`entity.system.arch == 'armv7'` can never be true: entity.system.arch is Go's GOARCH, never 'armv7'; " +
        "write `entity.system.arch == 'arm'` and add the filter `entity.system.arm_version == 7`",
    ],
    [
      '"armv7" === entity.system.arch',
      'FILTER_NEVER_MATCHES',
      '`"armv7" === entity.system.arch` can never be true: entity.system.arch is Go\'s GOARCH, never "armv7"; ' +
        'write `entity.system.arch === "arm"` and add the filter `entity.system.arm_version === 7`',
    ],
    [
      "entity.system.arch == 'armhf'",
      'FILTER_NEVER_MATCHES',
      "`entity.system.arch == 'armhf'` can never be true: entity.system.arch is Go's GOARCH, never 'armhf'; " +
        "write `entity.system.arch == 'arm'` and add the filter `entity.system.arm_version == 7`",
    ],
    [
      "entity.system.arch == 'armv6l'",
      'FILTER_NEVER_MATCHES',
      "`entity.system.arch == 'armv6l'` can never be true: entity.system.arch is Go's GOARCH, never 'armv6l'; " +
        "write `entity.system.arch == 'arm'` and add the filter `entity.system.arm_version == 6`",
    ],
    [
      "entity.system.arch == 'x86_64'",
      'FILTER_NEVER_MATCHES',
      "`entity.system.arch == 'x86_64'` can never be true: entity.system.arch is Go's GOARCH, never 'x86_64'; " +
        "write `entity.system.arch == 'amd64'`",
    ],
    [
      "'aarch64' == entity.system.arch",
      'FILTER_NEVER_MATCHES',
      "`'aarch64' == entity.system.arch` can never be true: entity.system.arch is Go's GOARCH, never 'aarch64'; " +
        "write `entity.system.arch == 'arm64'`",
    ],
    [
      "entity.system.arch == 'i386'",
      'FILTER_NEVER_MATCHES',
      "`entity.system.arch == 'i386'` can never be true: entity.system.arch is Go's GOARCH, never 'i386'; " +
        "write `entity.system.arch == '386'`",
    ],
    [
      "entity.system.arch == 'AMD64'",
      'FILTER_NEVER_MATCHES',
      "`entity.system.arch == 'AMD64'` can never be true: entity.system.arch is Go's GOARCH, never 'AMD64'; " +
        "write `entity.system.arch == 'amd64'`",
    ],
    [
      "entity.system['arch'] == 'noarch'",
      'FILTER_NEVER_MATCHES',
      "`entity.system['arch'] == 'noarch'` can never be true: entity.system.arch is Go's GOARCH, never 'noarch'; " +
        'no machine reports it; remove this comparison',
    ],
    [
      "entity.system.arch == 'sparc64'",
      'FILTER_NEVER_MATCHES',
      "`entity.system.arch == 'sparc64'` can never be true: entity.system.arch is Go's GOARCH, never 'sparc64'; " +
        'GOARCH is one of 386, amd64, arm, arm64, loong64, mips, mips64, mips64le, mipsle, ppc64, ppc64le, ' +
        'riscv64, s390x, wasm',
    ],
    [
      'entity.system.arch === 386',
      'FILTER_NEVER_MATCHES',
      "`entity.system.arch === 386` can never be true: entity.system.arch is a string; write `entity.system.arch === '386'`",
    ],
    [
      "entity.system.os == 'Linux'",
      'FILTER_NEVER_MATCHES',
      "`entity.system.os == 'Linux'` can never be true: entity.system.os is Go's GOOS, never 'Linux'; " +
        "write `entity.system.os == 'linux'`",
    ],
    [
      'entity.system.os == "macos"',
      'FILTER_NEVER_MATCHES',
      '`entity.system.os == "macos"` can never be true: entity.system.os is Go\'s GOOS, never "macos"; ' +
        'write `entity.system.os == "darwin"`',
    ],
    [
      "entity.system.os === 'osx'",
      'FILTER_NEVER_MATCHES',
      "`entity.system.os === 'osx'` can never be true: entity.system.os is Go's GOOS, never 'osx'; " +
        "write `entity.system.os === 'darwin'`",
    ],
    [
      "entity.system.os == 'win64'",
      'FILTER_NEVER_MATCHES',
      "`entity.system.os == 'win64'` can never be true: entity.system.os is Go's GOOS, never 'win64'; " +
        "write `entity.system.os == 'windows'`",
    ],
    [
      "entity.system.os == 'alpine'",
      'FILTER_NEVER_MATCHES',
      "`entity.system.os == 'alpine'` can never be true: entity.system.os is Go's GOOS, never 'alpine'; " +
        "that is a Linux distribution; write `entity.system.platform == 'alpine'` (with `entity.system.os == 'linux'`)",
    ],
    [
      "entity.system.os == 'redhat'",
      'FILTER_NEVER_MATCHES',
      "`entity.system.os == 'redhat'` can never be true: entity.system.os is Go's GOOS, never 'redhat'; " +
        "that is a Linux distribution; write `entity.system.platform_family == 'rhel'` (with `entity.system.os == 'linux'`)",
    ],
    [
      "entity.system.arch != 'armv7'",
      'FILTER_ALWAYS_TRUE',
      "`entity.system.arch != 'armv7'` is always true: entity.system.arch is Go's GOARCH, never 'armv7'; " +
        "write `!(entity.system.arch == 'arm' && entity.system.arm_version == 7)`",
    ],
    [
      "entity.system.arch !== 'armv7'",
      'FILTER_ALWAYS_TRUE',
      "`entity.system.arch !== 'armv7'` is always true: entity.system.arch is Go's GOARCH, never 'armv7'; " +
        "write `!(entity.system.arch === 'arm' && entity.system.arm_version === 7)`",
    ],
    [
      "'x86_64' != entity.system.arch",
      'FILTER_ALWAYS_TRUE',
      "`'x86_64' != entity.system.arch` is always true: entity.system.arch is Go's GOARCH, never 'x86_64'; " +
        "write `entity.system.arch != 'amd64'`",
    ],
    [
      "entity.system.os == 'constructor'",
      'FILTER_NEVER_MATCHES',
      "`entity.system.os == 'constructor'` can never be true: entity.system.os is Go's GOOS, never 'constructor'; " +
        'GOOS is one of aix, android, darwin, dragonfly, freebsd, illumos, ios, js, linux, netbsd, openbsd, ' +
        'plan9, solaris, wasip1, windows',
    ],
  ])('warns about %j', (expression, code, message) => {
    expect(checkFilters([{ expression }]).map((d) => [d.code, d.severity, d.message])).toEqual([
      [code, 'warning', message],
    ]);
  });

  it('reports every impossible comparison of a filter, in the order written', () => {
    const expression =
      "entity.system.os == 'macos' || (entity.system.arch == 'x86_64' && entity.system.os == 'osx')";
    expect(checkFilters([{ expression }]).map((d) => d.message.split(' can never')[0])).toEqual([
      "`entity.system.os == 'macos'`",
      "`entity.system.arch == 'x86_64'`",
      "`entity.system.os == 'osx'`",
    ]);
  });

  it.each([
    "entity.system.arch == 'arm' && entity.system.arm_version == 7",
    'entity.system.arch == 386',
    "entity.system.arch != 'amd64'",
    "entity.system.platform == 'darwin'",
    "entity.system.platform == 'centos'",
    "foo.system.arch == 'armv7'",
    "entity.arch == 'armv7'",
    "entity.system.arch < 'x86_64'",
    'entity.system.arch == other',
    "entity.system[arch] == 'armv7'",
    "entity.system.arch.indexOf('armv7') >= 0",
  ])('does not warn about %j', (expression) => {
    expect(checkFilters([{ expression }])).toEqual([]);
  });
});

interface FixtureBuild {
  arch: string;
  filter?: string | string[];
}

describe('the filters of the real bonsai.yml fixtures', () => {
  const dir = realBonsaiYmlDir();

  it('are present (required under CI)', () => {
    if (process.env.CI === 'true')
      expect(dir, 'shared/fixtures/bonsai-yml not found: set BONSAI_SHARED_DIR').toBeDefined();
  });

  it.runIf(dir !== undefined)('all parse, and only sensu-slack-handler has the armv7 bug', () => {
    const found: string[] = [];
    for (const file of readdirSync(dir ?? '').filter((f) => f.endsWith('.yml'))) {
      const doc = load(readFileSync(join(dir ?? '', file), 'utf8')) as { builds: FixtureBuild[] };
      for (const build of doc.builds) {
        const filters = build.filter === undefined ? [] : [build.filter].flat();
        for (const d of checkFilters(filters.map((expression) => ({ expression })))) {
          found.push(`${file} ${build.arch} ${d.code}`);
        }
      }
    }
    expect(found).toEqual(['sensu-slack-handler.bonsai.yml armv7 FILTER_NEVER_MATCHES']);
  });
});
