import { describe, expect, it } from 'vitest';
import { AGENT_MACHINES } from './agent-entities.js';
import { parseBonsaiConfig } from './config.js';
import { formatDiagnostic, type Diagnostic } from './diagnostics.js';
import { explainBuilds } from './filter-verdicts.js';
import { evaluateFilter } from './otto-eval.js';
import { parseLikeOtto } from './otto-syntax.js';

/**
 * What sensu-go's agent does with a filter (otto, entity fields as JSON names), over every machine:
 * - `throws: TEXT`: the error otto raises on the first machine that evaluates it;
 * - `none` / `all`: false / true everywhere;
 * - a list: the machines (os/arch[ vN]) where it is true on at least one distribution;
 * - `unknown`: it depends on what no check can know (labels, the clock).
 */
function verdict(expression: string): string | string[] {
  const parsed = parseLikeOtto(expression);
  if (!parsed.ok) return `syntax: ${parsed.message}`;
  const labels = new Set<string>();
  let unknown = false;
  let all = true;
  for (const machine of AGENT_MACHINES) {
    const result = evaluateFilter(parsed.program, machine.entity);
    if (result.outcome === 'throw') return `throws: ${result.error.message}`;
    if (result.outcome === 'unsupported' || typeof result.value !== 'boolean') unknown = true;
    else if (result.value) labels.add(machine.label);
    else all = false;
  }
  if (unknown) return 'unknown';
  if (all) return 'all';
  return labels.size === 0 ? 'none' : [...labels].sort();
}

const LINUX_ARCHES = [
  'linux/386',
  'linux/amd64',
  'linux/arm v5',
  'linux/arm v6',
  'linux/arm v7',
  'linux/arm64',
  'linux/loong64',
  'linux/mips',
  'linux/mips64',
  'linux/mips64le',
  'linux/mipsle',
  'linux/ppc64',
  'linux/ppc64le',
  'linux/riscv64',
  'linux/s390x',
].sort();
const ARM_V7 = [
  'android/arm v7',
  'freebsd/arm v7',
  'linux/arm v7',
  'netbsd/arm v7',
  'openbsd/arm v7',
  'plan9/arm v7',
  'windows/arm v7',
];

const TABLE: [string, string | string[]][] = [
  // the filters real assets ship, and what the agent makes of them
  ["entity.system.os == 'linux'", LINUX_ARCHES],
  ["entity.system.os == 'linux' && entity.system.arch == 'amd64'", ['linux/amd64']],
  ["entity.system.os == 'darwin' && entity.system.arch == 'arm64'", ['darwin/arm64']],
  ["entity.system.os == 'windows' && entity.system.arch == '386'", ['windows/386']],
  ["entity.system.arch == 'arm' && entity.system.arm_version == 7", ARM_V7],
  ["entity.system.os == 'linux' && entity.system.arm_version == 6", ['linux/arm v6']],
  ["entity.system.os === 'linux' && entity.system.arm_version === 5", ['linux/arm v5']],
  ["entity.system.platform == 'alpine' && entity.system.arch == 'amd64'", ['linux/amd64']],
  ["entity.system.platform_family == 'rhel' && entity.system.arch == 's390x'", ['linux/s390x']],
  [
    "parseInt(entity.system.platform_version.split('.')[0]) == 7 && entity.system.arch == 'amd64'",
    ['linux/amd64'],
  ],
  ["entity.system.libc_type == 'musl' && entity.system.arch == 'arm64'", ['linux/arm64']],
  ["entity.system['os'] == 'darwin' && entity.system['arch'] == 'amd64'", ['darwin/amd64']],
  [
    "entity.system.platform_version.indexOf('3.18') === 0 && entity.system.arch == 'riscv64'",
    ['linux/riscv64'],
  ],
  ["/^centos/.test(entity.system.platform) && entity.system.arch == 'ppc64le'", ['linux/ppc64le']],
  [
    "var v = parseInt(entity.system.platform_version, 10); v >= 38 && entity.system.arch == 'mips'",
    ['linux/mips'],
  ],
  ["entity.system.os == 'windows' ? entity.system.arch == 'arm64' : false", ['windows/arm64']],
  ["entity.system.os == 'linux' && entity.system.arch == 'arm' && !entity.system.arm_version", 'none'],
  // never matches: values the agent does not report
  ["entity.system.arch == 'armv7'", 'none'],
  ["entity.system.arch == 'x86_64'", 'none'],
  ["entity.system.arch == 'aarch64'", 'none'],
  ["entity.system.os == 'Linux'", 'none'],
  ["entity.system.os == 'osx'", 'none'],
  ["entity.system.arm_version === '7'", 'none'],
  ["entity.os == 'linux'", 'none'],
  ["entity.system.OS == 'linux'", 'none'],
  ["entity.system.os == 'linux' && entity.system.os == 'windows'", 'none'],
  ["''", 'none'],
  ['0', 'none'],
  ['null', 'none'],
  // always true
  ["entity.system.os = 'linux'", 'all'],
  ["entity.system.arch != 'armv7'", 'all'],
  ["entity.system.arm_version == '7' || true", 'all'],
  ["'false'", 'all'],
  ["entity.entity_class == 'agent'", 'all'],
  ['entity.system.os.length > 0', 'all'],
  // throws: the whole asset fails to install
  ['entity.system.arch == amd64', "throws: ReferenceError: 'amd64' is not defined"],
  ['entity.system.os == linux', "throws: ReferenceError: 'linux' is not defined"],
  ["entity.System.OS == 'linux'", "throws: TypeError: Cannot access member 'OS' of undefined"],
  ["entity.system.platform.startsWith('ubuntu')", "throws: TypeError: 'startsWith' is not a function"],
  ["entity.system.platform.includes('cent')", "throws: TypeError: 'includes' is not a function"],
  ["entity.system.platform_version.endsWith('.04')", "throws: TypeError: 'endsWith' is not a function"],
  [
    "entity.system.arm_version.toString() == '7'",
    "throws: TypeError: Cannot access member 'toString' of undefined",
  ],
  [
    "entity.system.libc_type.indexOf('musl') == 0",
    "throws: TypeError: Cannot access member 'indexOf' of undefined",
  ],
  [
    'entity.deregistration.handler.length > 0',
    "throws: TypeError: Cannot access member 'length' of undefined",
  ],
  ["entity.system.os.trimStart() == 'linux'", "throws: TypeError: 'trimStart' is not a function"],
  // depends on what no check can know: never judged
  ["entity.labels.region == 'eu'", 'unknown'],
  ["entity.metadata.name == 'web-1'", 'unknown'],
  ["entity.system.hostname.indexOf('web') == 0", 'unknown'],
  ['hour(entity.last_seen) < 12', 'unknown'],
  ['[1, 2].some(function (v) { return v == 1; })', 'unknown'],
];

describe('filters evaluated as the agent does (otto, lower-case JSON entity fields)', () => {
  it('the table covers at least 40 filters', () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(40);
  });

  it.each(TABLE)('%s', (expression, expected) => {
    expect(verdict(expression)).toEqual(expected);
  });

  it('judges every machine of `go tool dist list`, ARM once per arm_version, Linux once per distribution', () => {
    const labels = new Set(AGENT_MACHINES.map((m) => m.label));
    expect(labels.size).toBe(49 + 2 * 7); // 49 pairs, and each of the 7 `arm` pairs as v5, v6 and v7
    const linuxAmd64 = AGENT_MACHINES.filter((m) => m.label === 'linux/amd64').map((m) => m.release);
    expect(linuxAmd64).toContain('alpine 3.18.4');
    expect(linuxAmd64).toContain('centos 7.9.2009');
  });

  it('gives up (unknown) on a filter that runs too long rather than hanging', () => {
    const long = Array.from({ length: 20_000 }, () => "entity.system.os == 'linux'").join(';');
    expect(verdict(long)).toBe('unknown');
  });
});

/** A bonsai.yml of builds, each given as its platform/arch and filters. */
function yml(...builds: [string, string[]][]): string {
  return (
    'builds:\n' +
    builds
      .map(([pair, filters], i) => {
        const [platform, arch] = pair.split('/');
        const lines = [
          `- platform: ${platform}`,
          `  arch: ${arch}`,
          `  asset_filename: a${i}.tar.gz`,
          '  sha_filename: s.txt',
        ];
        if (filters.length > 0) lines.push('  filter:', ...filters.map((f) => `  - "${f}"`));
        return lines.join('\n') + '\n';
      })
      .join('')
  );
}

function found(text: string): string[] {
  return parseBonsaiConfig(text).diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.column}`);
}

function only(text: string): Diagnostic {
  const { diagnostics } = parseBonsaiConfig(text);
  expect(diagnostics).toHaveLength(1);
  return diagnostics[0]!;
}

describe('bonsai.yml filter diagnostics', () => {
  it('FILTER_ASSIGNMENT: an assignment is an error at its `=`, with the comparison to write', () => {
    const d = only(yml(['linux/amd64', ["entity.system.os = 'linux'"]]));
    expect(`${d.severity} ${d.code} ${d.line}:${d.column}`).toBe('error FILTER_ASSIGNMENT 7:23');
    expect(d.message).toContain('assigns instead of comparing');
    expect(d.hint).toBe("compare with ==: `entity.system.os == 'linux'`");
  });

  it('FILTER_UNQUOTED_IDENTIFIER: an unquoted value is an error at the name, with the ReferenceError', () => {
    const d = only(yml(['linux/amd64', ['entity.system.arch == amd64']]));
    expect(`${d.severity} ${d.code} ${d.line}:${d.column}`).toBe('error FILTER_UNQUOTED_IDENTIFIER 7:28');
    expect(d.message).toContain("ReferenceError: 'amd64' is not defined");
    expect(d.message).toContain('refuse the whole asset');
    expect(d.hint).toBe("quote the value: 'amd64'");
  });

  it('FILTER_WRONG_CASE: System.OS is an error naming the lower-case field', () => {
    const d = only(yml(['linux/amd64', ["entity.System.OS == 'linux'"]]));
    expect(`${d.severity} ${d.code} ${d.line}:${d.column}`).toBe('error FILTER_WRONG_CASE 7:13');
    expect(d.message).toContain('throws');
    expect(d.hint).toBe('write `entity.system`');
    const field = only(yml(['linux/amd64', ["entity.system.PlatformFamily == 'rhel'"]]));
    expect(field.code).toBe('FILTER_WRONG_CASE');
    expect(field.hint).toBe('write `entity.system.platform_family`');
  });

  it('FILTER_ES6_METHOD: startsWith is an error at the method, with the ES5 rewrite', () => {
    const d = only(
      yml(['linux/amd64', ["entity.system.os == 'linux'", "entity.system.platform.startsWith('ubu')"]]),
    );
    expect(`${d.severity} ${d.code} ${d.line}:${d.column}`).toBe('error FILTER_ES6_METHOD 8:29');
    expect(d.message).toContain("TypeError: 'startsWith' is not a function");
    expect(d.message).toContain('on linux/386 (ubuntu 22.04)');
    expect(d.hint).toBe("write it in ES5: `entity.system.platform.indexOf('ubu') === 0`");
  });

  it('FILTER_THROWS: any other error, with the JavaScript error and an example entity', () => {
    const d = only(yml(['linux/amd64', ["entity.system.libc_type.indexOf('g') == 0"]]));
    expect(`${d.severity} ${d.code}`).toBe('error FILTER_THROWS');
    expect(d.message).toContain(
      "throws `TypeError: Cannot access member 'indexOf' of undefined` on windows/386",
    );
    expect(d.message).toContain('"os":"windows"');
  });

  it('FILTER_THROWS: a filter guarded by an earlier filter of its build does not throw', () => {
    const text = yml([
      'linux/amd64',
      ["entity.system.os == 'linux'", "entity.system.libc_type.indexOf('g') == 0"],
    ]);
    expect(found(text)).toEqual([]);
  });

  it('FILTER_NEVER_MATCHES: a number field compared with a string, with what the agent reports', () => {
    const d = only(
      yml(['linux/armv7', ["entity.system.os == 'linux'", "entity.system.arm_version === '7'"]]),
    );
    expect(`${d.severity} ${d.code} ${d.line}:${d.column}`).toBe('warning FILTER_NEVER_MATCHES 8:6');
    expect(d.message).toContain('entity.system.arm_version as a number (5, 6, 7)');
    expect(d.hint).toBe('compare with a number: `entity.system.arm_version === 7`');
  });

  it('FILTER_NEVER_MATCHES: an attribute the agent does not report, with the one it does', () => {
    const d = only(yml(['linux/amd64', ["entity.os == 'linux'"]]));
    expect(d.code).toBe('FILTER_NEVER_MATCHES');
    expect(d.message).toContain('the agent reports no `entity.os`');
    expect(d.hint).toBe('write `entity.system.os`');
  });

  it('FILTER_ALWAYS_TRUE: a filter true on every machine selects nothing', () => {
    const d = only(yml(['linux/amd64', ["entity.system.os == 'linux'", "entity.entity_class == 'agent'"]]));
    expect(`${d.severity} ${d.code} ${d.line}`).toBe('warning FILTER_ALWAYS_TRUE 8');
  });

  it('FILTER_EMPTY: an empty filter string is a warning, and the build keeps it as written', () => {
    const text = yml(['linux/amd64', ["entity.system.os == 'linux'", '']]);
    const { config, diagnostics } = parseBonsaiConfig(text);
    expect(diagnostics.map((d) => `${d.severity} ${d.code}`)).toEqual(['warning FILTER_EMPTY']);
    expect(config?.builds[0]?.filters).toEqual(["entity.system.os == 'linux'", '']);
  });

  it('BUILD_NO_FILTER: a build without filter is a warning suggesting the filters of its platform/arch', () => {
    const d = only(yml(['linux/armv7', []]));
    expect(`${d.severity} ${d.code} ${d.line}:${d.column}`).toBe('warning BUILD_NO_FILTER 2:13');
    expect(d.message).toContain('installs it on every machine');
    expect(d.hint).toContain(
      `"entity.system.os == 'linux'", "entity.system.arch == 'arm'", "entity.system.arm_version == 7"`,
    );
  });

  it('BUILD_NO_FILTER: a build without filter before others says they are never chosen', () => {
    const text = yml(['linux/amd64', []], ['windows/amd64', ["entity.system.os == 'windows'"]]);
    const d = only(text);
    expect(d.message).toContain('the builds after it are never chosen');
  });

  it('BUILDS_OVERLAP: two builds matching one machine warn at the second, naming machines and who wins', () => {
    const text = yml(
      ['linux/arm', ["entity.system.os == 'linux'", "entity.system.arch == 'arm'"]],
      [
        'linux/armv7',
        ["entity.system.os == 'linux'", "entity.system.arch == 'arm'", 'entity.system.arm_version == 7'],
      ],
    );
    const d = only(text);
    expect(`${d.severity} ${d.code} ${d.line}`).toBe('warning BUILDS_OVERLAP 9');
    expect(d.message).toContain('build #2 (linux/armv7) and build #1 (linux/arm) both match linux/arm v7:');
    expect(d.message).toContain(
      'installs the first that matches (build #1), 7.x the one with the most filters',
    );
  });

  it('BUILDS_OVERLAP: builds told apart by distribution do not overlap', () => {
    const text = yml(
      ['alpine/amd64', ["entity.system.arch == 'amd64'", "entity.system.platform == 'alpine'"]],
      ['debian/amd64', ["entity.system.arch == 'amd64'", "entity.system.platform_family == 'debian'"]],
    );
    expect(found(text)).toEqual([]);
  });

  it('BUILD_FILTER_DEDENTED: a filter block at the top level names the build that lost it', () => {
    const text = `${yml(['linux/amd64', []])}filter:\n- "entity.system.os == 'linux'"\n`;
    const diagnostics = parseBonsaiConfig(text).diagnostics;
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.column}`)).toEqual([
      'warning BUILD_FILTER_DEDENTED 6:1',
      'warning BUILD_NO_FILTER 2:13',
    ]);
    expect(diagnostics[0]?.message).toContain('build #1 (line 2) has no filter and matches every machine');
    expect(diagnostics[0]?.hint).toContain("indent it under its build, level with 'platform:'");
  });

  it('BUILD_DUPLICATE_PLATFORM_ARCH: a warning; the last build of the pair is kept, as Bonsai does', () => {
    const text = yml(
      ['windows/amd64', ["entity.system.os == 'windows'"]],
      ['linux/amd64', ["entity.system.os == 'linux'"]],
      ['windows/amd64', ["entity.system.os == 'windows' && entity.system.arch == 'amd64'"]],
    );
    const { config, diagnostics } = parseBonsaiConfig(text);
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}`)).toEqual([
      'warning BUILD_DUPLICATE_PLATFORM_ARCH 14',
    ]);
    expect(diagnostics[0]?.message).toContain('build #1 is dropped and build #3 served, as Bonsai does');
    expect(config?.builds.map((b) => `#${b.number} ${b.platform}/${b.arch} ${b.assetFilename}`)).toEqual([
      '#2 linux/amd64 a1.tar.gz',
      '#3 windows/amd64 a2.tar.gz',
    ]);
  });

  it('prints a hint on its own line under the diagnostic', () => {
    const d = only(yml(['linux/amd64', ['entity.system.arch == amd64']]));
    expect(formatDiagnostic(d, 'bonsai.yml').split('\n')).toEqual([
      expect.stringMatching(/^bonsai\.yml:7:28 {2}error FILTER_UNQUOTED_IDENTIFIER {2}build #1: /),
      "  hint: quote the value: 'amd64'",
    ]);
  });
});

describe('a hostile bonsai.yml', () => {
  it('thousands of builds with distinct filters are judged within a step budget, the rest left unjudged', () => {
    const builds = Array.from({ length: 3000 }, (_, i): [string, string[]] => [
      `p${i}/a`,
      [`entity.system.os == 'linux' && ${i} >= 0`],
    ]);
    const started = Date.now();
    const { diagnostics } = parseBonsaiConfig(yml(...builds));
    expect(Date.now() - started).toBeLessThan(60_000);
    const overlaps = diagnostics.filter((d) => d.code === 'BUILDS_OVERLAP');
    // Judged builds all match Linux (each overlaps build #1); past the budget, builds are not judged.
    expect(overlaps.length).toBeGreaterThan(100);
    expect(overlaps.length).toBeLessThan(2999);
    expect(overlaps[0]?.message).toContain('build #2 (p1/a) and build #1 (p0/a) both match linux/386');
  });
});

describe('explainBuilds', () => {
  it('lists, for each build, the machines it is chosen for, then the machines with no build', () => {
    const text = yml(
      ['linux/amd64', ["entity.system.os == 'linux'", "entity.system.arch == 'amd64'"]],
      [
        'linux/armv7',
        ["entity.system.os == 'linux'", "entity.system.arch == 'arm'", 'entity.system.arm_version == 7'],
      ],
      ['alpine/arm64', ["entity.system.platform == 'alpine'", "entity.system.arch == 'arm64'"]],
    );
    const rows = explainBuilds(parseBonsaiConfig(text).config!.builds);
    expect(rows.slice(0, 3)).toEqual([
      { build: 1, machines: ['linux/amd64'], outcome: 'chosen' },
      { build: 2, machines: ['linux/arm v7'], outcome: 'chosen' },
      { build: 3, machines: ['linux/arm64 (alpine 3.18.4)'], outcome: 'chosen' },
    ]);
    expect(rows[3]?.outcome).toBe('none');
    expect(rows[3]?.machines).toContain(
      'linux/arm64 (ubuntu 22.04, debian 12.2, raspbian 11, centos 6.10, centos 7.9.2009, centos 8.5.2111, redhat 9.2, amazon 2, amazon 2018.03, fedora 38, opensuse-leap 15.5)',
    );
  });

  it('says where the asset fails because a filter throws, and where it depends on labels', () => {
    const build = (number: number, filters: string[]) => ({
      number,
      platform: 'p',
      arch: 'a',
      filters,
      positions: { platform: { line: 1, column: 1 }, filters: [] },
    });
    const rows = explainBuilds([
      build(1, ["entity.system.os == 'windows'", 'entity.system.arch == amd64']),
      build(2, ["entity.system.os == 'linux' && entity.labels.tier == 'web'"]),
    ]);
    expect(rows.map((r) => [r.build, r.outcome, r.machines.length > 0])).toEqual([
      [1, 'chosen', false],
      [2, 'chosen', false],
      [undefined, 'fails', true],
      [undefined, 'depends', true],
      [undefined, 'none', true],
    ]);
    expect(rows[2]?.machines).toEqual([
      'windows/386',
      'windows/amd64',
      'windows/arm v5',
      'windows/arm v6',
      'windows/arm v7',
      'windows/arm64',
    ]);
    expect(rows[3]?.machines[0]).toBe('linux/386');
  });
});
