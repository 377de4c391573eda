/**
 * What the Sensu agent puts in `entity.system.arch` and `entity.system.os`: Go's runtime.GOARCH and
 * runtime.GOOS (COMPAT §7), never the names `uname`, Debian or goreleaser archives use. The tables below
 * turn the names people actually write into what the agent reports.
 */

/** Every GOARCH of the Go toolchain (`go tool dist list`). */
export const GOARCH_VALUES: readonly string[] = [
  '386',
  'amd64',
  'arm',
  'arm64',
  'loong64',
  'mips',
  'mips64',
  'mips64le',
  'mipsle',
  'ppc64',
  'ppc64le',
  'riscv64',
  's390x',
  'wasm',
];

/** Every GOOS of the Go toolchain (`go tool dist list`). */
export const GOOS_VALUES: readonly string[] = [
  'aix',
  'android',
  'darwin',
  'dragonfly',
  'freebsd',
  'illumos',
  'ios',
  'js',
  'linux',
  'netbsd',
  'openbsd',
  'plan9',
  'solaris',
  'wasip1',
  'windows',
];

/** The `entity.system` fields whose values are Go's closed sets. */
export type GoSystemField = 'arch' | 'os';

/** What to compare instead of an impossible value. */
export type Correction =
  /** Compare the same field with `value` (and, for 32-bit ARM, `entity.system.arm_version` with armVersion). */
  | { kind: 'replace'; value: string; armVersion?: number }
  /** The value is a Linux distribution: compare another field of entity.system. */
  | { kind: 'other-field'; field: 'platform' | 'platform_family'; value: string }
  /** A placeholder such as `noarch`/`any`: the comparison should go. */
  | { kind: 'drop' }
  /** Not a name we recognise: list the real values. */
  | { kind: 'unknown' };

interface ArchTarget {
  value: string;
  armVersion?: number;
}

/** Names people write for an architecture, grouped by what the agent reports instead. */
const ARCH_ALIAS_GROUPS: readonly (readonly [readonly string[], ArchTarget])[] = [
  [
    ['armv7', 'armv7l', 'armv7hl', 'armv7hf', 'armv7a', 'armv7-a', 'arm7', 'armhf'],
    { value: 'arm', armVersion: 7 },
  ],
  [['armv6', 'armv6l', 'armv6hf', 'arm6'], { value: 'arm', armVersion: 6 }],
  [['armv5', 'armv5l', 'armv5te', 'armv5tel', 'arm5', 'armel'], { value: 'arm', armVersion: 5 }],
  [['aarch64', 'aarch_64', 'armv8', 'armv8a', 'arm64v8'], { value: 'arm64' }],
  [['x86_64', 'x86-64', 'x64', 'amd-64', 'intel64'], { value: 'amd64' }],
  [['i386', 'i486', 'i586', 'i686', 'x86', 'ia32', 'x86_32'], { value: '386' }],
  [['ppc64el', 'powerpc64le'], { value: 'ppc64le' }],
  [['powerpc64'], { value: 'ppc64' }],
  [['mips64el'], { value: 'mips64le' }],
  [['mipsel'], { value: 'mipsle' }],
];

/** Names people write for an OS, grouped by Go's GOOS. */
const OS_ALIAS_GROUPS: readonly (readonly [readonly string[], string])[] = [
  [['macos', 'macosx', 'mac os x', 'os x', 'osx', 'mac', 'apple'], 'darwin'],
  [['win', 'win32', 'win64', 'windows_nt', 'windows nt', 'mingw', 'cygwin'], 'windows'],
  [['sunos'], 'solaris'],
];

function byName<T>(groups: readonly (readonly [readonly string[], T])[]): ReadonlyMap<string, T> {
  return new Map(groups.flatMap(([names, target]) => names.map((name) => [name, target] as const)));
}

const ARCH_ALIASES = byName(ARCH_ALIAS_GROUPS);
const OS_ALIASES = byName(OS_ALIAS_GROUPS);

interface Distribution {
  field: 'platform' | 'platform_family';
  value: string;
}
const platform = (value: string): Distribution => ({ field: 'platform', value });
const family = (value: string): Distribution => ({ field: 'platform_family', value });

/** Distribution names written as an OS: the agent reports them in platform / platform_family. */
const DISTRIBUTIONS = byName<Distribution>([
  [['alpine'], platform('alpine')],
  [['ubuntu'], platform('ubuntu')],
  [['centos'], platform('centos')],
  [['raspbian'], platform('raspbian')],
  [['amazon', 'amzn'], platform('amazon')],
  [['debian'], family('debian')],
  [['fedora'], family('fedora')],
  [['rhel', 'redhat'], family('rhel')],
  [['suse', 'opensuse'], family('suse')],
]);

/** Placeholders that no machine reports. */
const PLACEHOLDERS = new Set(['any', 'all', 'none', 'noarch', 'universal', '*']);

/** The values the agent can report for a field. */
export function goValues(field: GoSystemField): readonly string[] {
  return field === 'arch' ? GOARCH_VALUES : GOOS_VALUES;
}

/**
 * `undefined` when the agent can report `value` for `field`; otherwise what to write instead.
 * Comparison is exact (the agent's values are lowercase), the alias tables are case-insensitive.
 */
export function correctionFor(field: GoSystemField, value: string): Correction | undefined {
  const valid = goValues(field);
  if (valid.includes(value)) return undefined;
  const key = value.trim().toLowerCase();
  if (valid.includes(key)) return { kind: 'replace', value: key };
  if (PLACEHOLDERS.has(key)) return { kind: 'drop' };
  if (field === 'arch') {
    const alias = ARCH_ALIASES.get(key);
    if (alias) return { kind: 'replace', ...alias };
    return { kind: 'unknown' };
  }
  const os = OS_ALIASES.get(key);
  if (os) return { kind: 'replace', value: os };
  const distribution = DISTRIBUTIONS.get(key);
  if (distribution) return { kind: 'other-field', ...distribution };
  return { kind: 'unknown' };
}
