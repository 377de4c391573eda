import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** A redirect of an artifact download that the policy refuses: the version fails, the job does not retry. */
export class ArtifactRedirectRefusedError extends Error {
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(`a redirect to ${target} was refused: ${reason}`);
    this.name = 'ArtifactRedirectRefusedError';
  }
}

export interface RedirectPolicy {
  /** GITHUB_API_URL: its host is trusted (GitHub Enterprise, the test emulator), token and all. */
  apiUrl: string;
  /** ARTIFACT_HOSTS: more hosts downloads may be sent to (`cdn.example.com`, `*.example.com`). */
  allowedHosts: readonly string[];
  /** How a host name resolves; DNS unless a test says otherwise. */
  resolve?: (host: string) => Promise<string[]>;
}

/** Where GitHub's own downloads go: github.com and its CDN (`objects.githubusercontent.com`, ...). */
const GITHUB_HOSTS = ['github.com', '*.githubusercontent.com'];

/** Addresses a download must never reach unless its host was allow-listed by the operator. */
const INTERNAL = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  INTERNAL.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  INTERNAL.addSubnet(net, bits, 'ipv6');

/** Whether an IP address is loopback, link-local, private, unspecified or multicast. */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return INTERNAL.check(address, 'ipv4');
  if (family !== 6) return false;
  // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is the IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return INTERNAL.check(mapped[1]!, 'ipv4');
  return INTERNAL.check(address, 'ipv6');
}

function matches(host: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  return p.startsWith('*.') ? host.endsWith(p.slice(1)) && host.length > p.length - 1 : host === p;
}

/** `[::1]` → `::1`: URL keeps the brackets of an IPv6 host. */
function bare(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

const defaultResolve = async (host: string) => (await lookup(host, { all: true })).map((a) => a.address);

/**
 * Checks one hop of an artifact download (COMPAT §5, issue 9): only http(s), only GitHub's hosts, the
 * API host and ARTIFACT_HOSTS; and a GitHub host that resolves to an internal address is refused too (an
 * operator's allow-listed hosts and the API host may be internal: that is how GitHub Enterprise and the
 * test emulator work). Throws ArtifactRedirectRefusedError.
 */
export async function checkRedirect(target: URL, policy: RedirectPolicy): Promise<void> {
  const shown = `${target.protocol}//${target.host}${target.pathname}`;
  if (target.protocol !== 'https:' && target.protocol !== 'http:')
    throw new ArtifactRedirectRefusedError(shown, `only http and https are followed`);
  if (target.username || target.password)
    throw new ArtifactRedirectRefusedError(shown, 'credentials in the URL');
  const host = bare(target.hostname);
  const apiHost = bare(new URL(policy.apiUrl).hostname);
  const trusted = host === apiHost || policy.allowedHosts.some((p) => matches(host, p));
  if (trusted) return;
  if (!GITHUB_HOSTS.some((p) => matches(host, p))) {
    throw new ArtifactRedirectRefusedError(
      shown,
      `${host} is not a GitHub host, the API host or in ARTIFACT_HOSTS`,
    );
  }
  const addresses = isIP(host) ? [host] : await (policy.resolve ?? defaultResolve)(host).catch(() => []);
  const internal = addresses.find(isInternalAddress);
  if (internal !== undefined) {
    throw new ArtifactRedirectRefusedError(
      shown,
      `${host} resolves to the internal address ${internal} (allow it with ARTIFACT_HOSTS if it is yours)`,
    );
  }
}

/** ARTIFACT_HOSTS as written: host names or `*.domain` patterns, separated by commas or spaces. */
export function parseArtifactHosts(text: string | undefined): string[] {
  return (text ?? '')
    .split(/[\s,]+/)
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
}
