/**
 * The machines a Sensu agent can run on, as the agent shows itself to an asset filter: the variable
 * `entity` is the agent's entity turned into a map keyed by the JSON names of its Go struct (sensu-go
 * `types/dynamic` Synthesize over `api/core/v2` Entity/System), so the names are lower-case
 * (`entity.system.os`, never `entity.System.OS`), empty `omitempty` fields are absent (so
 * `arm_version` exists only on 32-bit ARM, and is a number), and the embedded metadata is flattened
 * beside the other fields.
 *
 * Values nobody can predict (host names, labels a user sets) are OPAQUE: a filter reading them gets
 * an answer that is neither true nor false, and is never judged on it.
 */
import { GOARCH_VALUES, GOOS_VALUES } from './go-platforms.js';

/** A value that differs from machine to machine in ways a filter check cannot know (a label, a host name). */
export const OPAQUE: unique symbol = Symbol('opaque');
export type Opaque = typeof OPAQUE;

export type EntityValue = string | number | boolean | Opaque | EntityValue[] | EntityObject;
export interface EntityObject {
  [key: string]: EntityValue;
}

export interface AgentMachine {
  /** `linux/amd64`, `linux/arm v7`, as tables and messages show a machine. */
  label: string;
  /** The distribution (Linux) or OS release, for messages: `ubuntu 22.04`. */
  release: string;
  os: string;
  arch: string;
  armVersion: number | undefined;
  entity: EntityObject;
}

/** `go tool dist list`: every GOOS/GOARCH pair the Go toolchain builds. */
export const GO_PLATFORMS: readonly (readonly [string, string])[] = [
  ['aix', 'ppc64'],
  ['android', '386'],
  ['android', 'amd64'],
  ['android', 'arm'],
  ['android', 'arm64'],
  ['darwin', 'amd64'],
  ['darwin', 'arm64'],
  ['dragonfly', 'amd64'],
  ['freebsd', '386'],
  ['freebsd', 'amd64'],
  ['freebsd', 'arm'],
  ['freebsd', 'arm64'],
  ['freebsd', 'riscv64'],
  ['illumos', 'amd64'],
  ['ios', 'amd64'],
  ['ios', 'arm64'],
  ['js', 'wasm'],
  ['linux', '386'],
  ['linux', 'amd64'],
  ['linux', 'arm'],
  ['linux', 'arm64'],
  ['linux', 'loong64'],
  ['linux', 'mips'],
  ['linux', 'mips64'],
  ['linux', 'mips64le'],
  ['linux', 'mipsle'],
  ['linux', 'ppc64'],
  ['linux', 'ppc64le'],
  ['linux', 'riscv64'],
  ['linux', 's390x'],
  ['netbsd', '386'],
  ['netbsd', 'amd64'],
  ['netbsd', 'arm'],
  ['netbsd', 'arm64'],
  ['openbsd', '386'],
  ['openbsd', 'amd64'],
  ['openbsd', 'arm'],
  ['openbsd', 'arm64'],
  ['openbsd', 'ppc64'],
  ['openbsd', 'riscv64'],
  ['plan9', '386'],
  ['plan9', 'amd64'],
  ['plan9', 'arm'],
  ['solaris', 'amd64'],
  ['wasip1', 'wasm'],
  ['windows', '386'],
  ['windows', 'amd64'],
  ['windows', 'arm'],
  ['windows', 'arm64'],
];

interface Release {
  platform: string;
  family: string;
  version: string;
  libc?: string;
}

/** Linux distributions as gopsutil (which the agent uses) names them: platform, family, version. */
const LINUX_RELEASES: readonly Release[] = [
  { platform: 'ubuntu', family: 'debian', version: '22.04', libc: 'glibc' },
  { platform: 'debian', family: 'debian', version: '12.2', libc: 'glibc' },
  { platform: 'raspbian', family: 'debian', version: '11', libc: 'glibc' },
  { platform: 'centos', family: 'rhel', version: '6.10', libc: 'glibc' },
  { platform: 'centos', family: 'rhel', version: '7.9.2009', libc: 'glibc' },
  { platform: 'centos', family: 'rhel', version: '8.5.2111', libc: 'glibc' },
  { platform: 'redhat', family: 'rhel', version: '9.2', libc: 'glibc' },
  { platform: 'amazon', family: 'rhel', version: '2', libc: 'glibc' },
  { platform: 'amazon', family: 'rhel', version: '2018.03', libc: 'glibc' },
  { platform: 'alpine', family: 'alpine', version: '3.18.4', libc: 'musl' },
  { platform: 'fedora', family: 'fedora', version: '38', libc: 'glibc' },
  { platform: 'opensuse-leap', family: 'suse', version: '15.5', libc: 'glibc' },
];

const OTHER_RELEASES: Readonly<Record<string, Release>> = {
  darwin: { platform: 'darwin', family: 'Standalone Workstation', version: '14.1' },
  windows: {
    platform: 'Microsoft Windows Server 2022 Datacenter',
    family: 'Server',
    version: '10.0.20348 Build 20348',
  },
};

function releasesOf(os: string): readonly Release[] {
  if (os === 'linux') return LINUX_RELEASES;
  return [OTHER_RELEASES[os] ?? { platform: os, family: os, version: '1.0' }];
}

function entityFor(os: string, arch: string, armVersion: number | undefined, release: Release): EntityObject {
  const system: EntityObject = {
    hostname: OPAQUE,
    os,
    platform: release.platform,
    platform_family: release.family,
    platform_version: release.version,
    network: { interfaces: OPAQUE },
    arch,
    vm_system: OPAQUE,
    vm_role: OPAQUE,
    cloud_provider: OPAQUE,
    processes: OPAQUE,
  };
  if (armVersion !== undefined) system.arm_version = armVersion;
  if (release.libc !== undefined) system.libc_type = release.libc;
  if (arch === 'arm') system.float_type = armVersion === 7 ? 'hard' : 'soft';
  return {
    entity_class: 'agent',
    system,
    subscriptions: OPAQUE,
    last_seen: OPAQUE,
    deregister: false,
    deregistration: {},
    user: 'agent',
    redact: OPAQUE,
    // ObjectMeta is an embedded field, which Synthesize lifts to the top level; `metadata` is kept as
    // unknown rather than absent, so that no filter is called broken on a reading of sensu we are not
    // sure of across its versions.
    name: OPAQUE,
    namespace: OPAQUE,
    labels: OPAQUE,
    annotations: OPAQUE,
    metadata: OPAQUE,
    sensu_agent_version: OPAQUE,
  };
}

function buildMatrix(): AgentMachine[] {
  const machines: AgentMachine[] = [];
  for (const [os, arch] of GO_PLATFORMS) {
    const armVersions = arch === 'arm' ? [5, 6, 7] : [undefined];
    for (const armVersion of armVersions) {
      for (const release of releasesOf(os)) {
        const label = armVersion === undefined ? `${os}/${arch}` : `${os}/${arch} v${armVersion}`;
        const name = os === 'linux' ? `${release.platform} ${release.version}` : release.platform;
        machines.push({
          label,
          release: name,
          os,
          arch,
          armVersion,
          entity: entityFor(os, arch, armVersion, release),
        });
      }
    }
  }
  return machines;
}

/** The platforms Sensu ships agents for come first, so messages and tables name a familiar machine first. */
const FIRST = ['linux', 'windows', 'darwin'];
const rank = (m: AgentMachine) => (FIRST.includes(m.os) ? FIRST.indexOf(m.os) : FIRST.length);

/** Every machine filters are judged against: Linux (once per distribution), Windows, macOS, then the rest. */
export const AGENT_MACHINES: readonly AgentMachine[] = buildMatrix().sort((a, b) => rank(a) - rank(b));

/** The keys the agent's entity has, at each level a filter can name (for spelling checks). */
export function entityShape(): EntityObject {
  const linuxArm = AGENT_MACHINES.find((m) => m.os === 'linux' && m.armVersion === 7);
  return linuxArm!.entity;
}

// The tables in go-platforms.ts and GO_PLATFORMS must agree; a mistake here would judge filters wrongly.
for (const [os, arch] of GO_PLATFORMS) {
  if (!GOOS_VALUES.includes(os) || !GOARCH_VALUES.includes(arch)) {
    throw new Error(`agent-entities: ${os}/${arch} is not in go-platforms.ts`);
  }
}
