import { diagnostic, type Diagnostic } from './diagnostics.js';

/**
 * Version strings as sensuctl reads them: hashicorp/go-version v1.2.0 (COMPAT §4). Its quirks are kept on
 * purpose, since "latest" and version matching must agree with what `sensuctl asset add` picks.
 */
export interface Version {
  /** The string as given (the registry's own spelling, e.g. `v1.2.3`). */
  raw: string;
  /** The dotted numbers, padded with zeros to at least three (`1` → 1, 0, 0). int64, as in Go. */
  segments: readonly bigint[];
  /** After `-` (or glued on: `1.0rc1` → `rc1`); '' for a release. */
  prerelease: string;
  /** After `+`; '' when none. Never affects order or equality. */
  metadata: string;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

// go-version's grammar: `v?` then dotted numbers (lazy, so the rest can claim a glued pre-release), then
// either `-` and a pre-release starting with a digit, or an optional `-` and one starting with a letter,
// `-` or `~`, then `+metadata`. Go's regexp and JavaScript's pick the same submatches here (leftmost-first).
const PART = '[0-9A-Za-z~-]';
const VERSION_PATTERN = new RegExp(
  '^v?(?<segments>[0-9]+(?:\\.[0-9]+)*?)' +
    `(?:-(?<numericPre>[0-9]+${PART}*(?:\\.${PART}+)*)|-?(?<namedPre>[A-Za-z~-]+${PART}*(?:\\.${PART}+)*))?` +
    `(?:\\+(?<metadata>${PART}+(?:\\.${PART}+)*))??$`,
);

export function parseVersion(raw: string): Version | undefined {
  const groups = VERSION_PATTERN.exec(raw)?.groups;
  if (groups?.segments === undefined) return undefined;
  const segments = groups.segments.split('.').map(BigInt);
  if (segments.some((s) => s > INT64_MAX)) return undefined; // Go's ParseInt refuses it
  while (segments.length < 3) segments.push(0n);
  return {
    raw,
    segments,
    prerelease: groups.namedPre ?? groups.numericPre ?? '',
    metadata: groups.metadata ?? '',
  };
}

/** -1, 0 or 1 as go-version's Compare answers, quirks included (see the tests). */
export function compareVersions(a: Version, b: Version): -1 | 0 | 1 {
  const x = a.segments;
  const y = b.segments;
  // Pre-releases only count when both have the same number of segments: `1.0.0.0-rc1` equals `1.0.0`.
  if (x.length === y.length && x.every((s, i) => s === y[i])) {
    return comparePrereleases(a.prerelease, b.prerelease);
  }
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const s = x[i] ?? 0n;
    const t = y[i] ?? 0n;
    if (s !== t) return s < t ? -1 : 1;
  }
  return 0;
}

function comparePrereleases(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  if (a === '') return 1; // a release sorts above its pre-releases
  if (b === '') return -1;
  const p = a.split('.');
  const q = b.split('.');
  for (let i = 0; i < Math.max(p.length, q.length); i++) {
    const order = comparePart(p[i] ?? '', q[i] ?? '');
    if (order !== 0) return order;
  }
  return 0;
}

/**
 * One dot-separated pre-release part. go-version's rules, not semver's: a missing part sorts below a
 * numeric one but above a named one (`rc` > `rc.beta`, `rc` < `rc.1`); equal numbers spelled differently
 * (`01`, `1`) are each "less" than the other.
 */
function comparePart(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  const x = parseInt64(a);
  const y = parseInt64(b);
  if (a === '') return y.ok ? -1 : 1;
  if (b === '') return x.ok ? 1 : -1;
  if (x.ok !== y.ok) return x.ok ? -1 : 1; // numeric below named
  if (!x.ok && a > b) return 1;
  return x.value > y.value ? 1 : -1;
}

/** Go's strconv.ParseInt(s, 10, 64): value 0 on a syntax error, the clamped bound when out of range. */
function parseInt64(s: string): { ok: boolean; value: bigint } {
  if (!/^[+-]?[0-9]+$/.test(s)) return { ok: false, value: 0n };
  const value = BigInt(s);
  if (value > INT64_MAX) return { ok: false, value: INT64_MAX };
  if (value < INT64_MIN) return { ok: false, value: INT64_MIN };
  return { ok: true, value };
}

function parseAll(raws: readonly string[]): Version[] {
  return raws.map(parseVersion).filter((v): v is Version => v !== undefined);
}

/**
 * Parseable versions, ascending; unparseable ones are dropped (`unparseableVersions` reports them).
 * Equal versions (`1.2`, `1.2.0`, `v1.2.0+x`) keep their input order.
 */
export function sortVersions(raws: readonly string[]): string[] {
  return parseAll(raws)
    .sort(compareVersions)
    .map((v) => v.raw);
}

/** One VERSION_UNPARSEABLE per string sensuctl cannot read, in input order. */
export function unparseableVersions(raws: readonly string[]): Diagnostic[] {
  return raws
    .filter((raw) => parseVersion(raw) === undefined)
    .map((raw) =>
      diagnostic(
        'VERSION_UNPARSEABLE',
        `tag ${JSON.stringify(raw)} is not a version sensuctl can read (${whyUnparseable(raw)}), so it is ` +
          'not listed; tag releases like 1.2.3, v1.2.3 or 1.2.3-rc.1',
      ),
    );
}

function whyUnparseable(raw: string): string {
  if (raw === '') return 'it is empty';
  if (VERSION_PATTERN.test(raw)) return `a number in it is larger than ${INT64_MAX}`;
  if (!/^v?[0-9]/.test(raw)) return 'it must start with a number, optionally after a lowercase "v"';
  return 'expected dotted numbers, then an optional -pre-release and +build';
}

/** sensuctl's latest: the highest parseable version, pre-releases included. */
export function latestVersion(raws: readonly string[]): string | undefined {
  return sortVersions(raws).at(-1);
}

/** The highest release (no pre-release); the highest version when there are only pre-releases. */
export function latestStable(raws: readonly string[]): string | undefined {
  const releases = raws.filter((raw) => parseVersion(raw)?.prerelease === '');
  return latestVersion(releases) ?? latestVersion(raws);
}

/** `v1.2.3` ↔ `1.2.3`; undefined for a string that is not a version. */
export function otherSpelling(raw: string): string | undefined {
  if (parseVersion(raw) === undefined) return undefined;
  return raw.startsWith('v') ? raw.slice(1) : `v${raw}`;
}

/**
 * The registry's own spelling of a requested version: the exact string, else `latest` (latestStable),
 * else the other `v` spelling; undefined when none is available.
 */
export function resolveVersion(requested: string, available: readonly string[]): string | undefined {
  if (available.includes(requested)) return requested;
  if (requested === 'latest') return latestStable(available);
  const other = otherSpelling(requested);
  return other !== undefined && available.includes(other) ? other : undefined;
}

/** What `sensuctl asset add` decides from the versions a registry lists (sensu-go `bonsai/bonsai.go`). */
export type SensuctlVersionChoice =
  | { kind: 'found'; version: string }
  | { kind: 'no-versions' }
  | { kind: 'not-found'; available: string[] }
  | { kind: 'unparseable-request' };

/**
 * sensuctl's choice: without a request, the highest parseable version, pre-releases included; with one
 * (which must parse), the first listed version that go-version considers equal (`1.2` finds `1.2.0`,
 * `0.4.0` finds `v0.4.0`), returned in the registry's own spelling so the next request does not 404.
 * `available` in `not-found` is what sensuctl lists: the parseable versions, ascending.
 */
export function sensuctlVersion(
  requested: string | undefined,
  listed: readonly string[],
): SensuctlVersionChoice {
  if (requested === undefined) {
    const latest = latestVersion(listed);
    return latest === undefined ? { kind: 'no-versions' } : { kind: 'found', version: latest };
  }
  const wanted = parseVersion(requested);
  if (!wanted) return { kind: 'unparseable-request' };
  const match = listed.find((raw) => {
    const candidate = parseVersion(raw);
    return candidate !== undefined && compareVersions(candidate, wanted) === 0;
  });
  return match === undefined
    ? { kind: 'not-found', available: sortVersions(listed) }
    : { kind: 'found', version: match };
}
