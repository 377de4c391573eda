import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  latestStable,
  latestVersion,
  otherSpelling,
  parseVersion,
  resolveVersion,
  sensuctlVersion,
  sortVersions,
  unparseableVersions,
} from './versions.js';

function version(raw: string) {
  const parsed = parseVersion(raw);
  if (parsed === undefined) throw new Error(`test setup: ${raw} does not parse`);
  return parsed;
}

describe('parseVersion (hashicorp/go-version v1.2.0 grammar)', () => {
  it.each([
    ['1', '1.0.0', '', ''],
    ['1.2', '1.2.0', '', ''],
    ['v1.2.3', '1.2.3', '', ''],
    ['1.2.3.4', '1.2.3.4', '', ''],
    ['1.0.0-rc.1', '1.0.0', 'rc.1', ''],
    ['1.0.0rc1', '1.0.0', 'rc1', ''],
    ['1.0rc1', '1.0.0', 'rc1', ''],
    ['1.0.0-1', '1.0.0', '1', ''],
    ['1.0.0--beta', '1.0.0', '-beta', ''],
    ['1.0.0~alpha', '1.0.0', '~alpha', ''],
    ['1.2.3-', '1.2.3', '-', ''], // the optional `-` gives way, and `-` is the pre-release
    ['1.2.3+build.5', '1.2.3', '', 'build.5'],
    ['1.2.3-beta+exp.sha.5114f85', '1.2.3', 'beta', 'exp.sha.5114f85'],
    ['01.002.0003', '1.2.3', '', ''],
    ['9223372036854775807', '9223372036854775807.0.0', '', ''],
  ])('%s → segments %s, pre-release %j, metadata %j', (raw, segments, prerelease, metadata) => {
    expect(parseVersion(raw)).toEqual({
      raw,
      segments: segments.split('.').map(BigInt),
      prerelease,
      metadata,
    });
  });

  it.each([
    'latest',
    '1.2.x',
    '',
    'v',
    'master',
    'V1.2.3',
    ' 1.2.3',
    '1.2.3\n',
    '1..2',
    '1.2.',
    '.1.2',
    '1.2.3+',
    '1.2.3-rc..1',
    '1.2.3_rc1',
    'vv1.2.3',
    'release-1.2.3',
    '9223372036854775808',
    '1.2.3-ü',
  ])('refuses %j', (raw) => {
    expect(parseVersion(raw)).toBeUndefined();
  });
});

describe('compareVersions', () => {
  it.each([
    ['1', '1.0.0', 0],
    ['1.2', '1.2.0', 0],
    ['v1.2.3', '1.2.3', 0],
    ['1.02.3', '1.2.3', 0],
    ['1.2.3+a', '1.2.3+b', 0],
    ['1.2.3+build', '1.2.3', 0],
    ['1.2.3', '1.2.4', -1],
    ['1.2.10', '1.2.9', 1],
    ['1.10.0', '1.9.0', 1],
    ['2', '1.99.99', 1],
    ['1.2.3.4', '1.2.3', 1],
    ['1.2.3.0', '1.2.3', 0],
    ['1.0.0-rc.1', '1.0.0', -1],
    ['1.0.0rc1', '1.0.0', -1],
    ['1.0.0-rc.1+x', '1.0.0-rc.1+y', 0],
    ['1.0.0-alpha', '1.0.0-beta', -1],
    ['1.0.0-rc.2', '1.0.0-rc.10', -1], // numeric parts compare as numbers
    ['1.0.0-rc.1', '1.0.0-rc.a', -1], // numeric below alphanumeric
    ['1.0.0-1', '1.0.0-alpha', -1],
    ['1.0.0-rc', '1.0.0-rc.1', -1], // a missing part is below a numeric one...
    ['1.0.0-rc', '1.0.0-rc.beta', 1], // ...but above an alphanumeric one (go-version, not semver)
    ['1.0.0-rc.-1', '1.0.0-rc.0', -1], // Go's ParseInt reads "-1" as a number
    ['2.0.0-rc.1', '1.9.9', 1],
    // Pre-releases only count when the segment counts are equal.
    ['1.0.0.0-rc1', '1.0.0', 0],
    ['1.0.0.1-rc1', '1.0.0', 1],
  ])('%s vs %s → %i (and the reverse)', (a, b, expected) => {
    expect(compareVersions(version(a), version(b))).toBe(expected);
    expect(compareVersions(version(b), version(a))).toBe(expected === 0 ? 0 : -expected);
  });

  it.each([
    // Equal numbers spelled differently: each is "less" than the other.
    ['1.0.0-01', '1.0.0-1', -1, -1],
    // A number too big for int64 is not numeric, yet ParseInt's clamped value decides against a name.
    ['1.0.0-99999999999999999999', '1.0.0-a', 1, 1],
  ])('keeps the quirk %s vs %s → %i, reversed %i', (a, b, forward, backward) => {
    expect(compareVersions(version(a), version(b))).toBe(forward);
    expect(compareVersions(version(b), version(a))).toBe(backward);
  });
});

describe('sortVersions, latestVersion, latestStable', () => {
  const tags = ['1.10.0', 'master', 'v2.0.0-rc.1', '1.2.0', '1.9.0', 'latest', '1.2', '0.1.0'];

  it('sorts parseable versions ascending, keeps equal ones in input order, drops the rest', () => {
    expect(sortVersions(tags)).toEqual(['0.1.0', '1.2.0', '1.2', '1.9.0', '1.10.0', 'v2.0.0-rc.1']);
  });

  it('reports each dropped tag as VERSION_UNPARSEABLE, saying why', () => {
    const dropped = unparseableVersions([...tags, '', '1.99999999999999999999']);
    expect(dropped.map((d) => d.code)).toEqual(Array(4).fill('VERSION_UNPARSEABLE'));
    expect(dropped.map((d) => d.message)).toEqual([
      expect.stringMatching(/^tag "master" is not a version sensuctl can read \(it must start with a number/),
      expect.stringContaining('tag "latest"'),
      expect.stringContaining('tag "" is not a version sensuctl can read (it is empty)'),
      expect.stringContaining('larger than 9223372036854775807'),
    ]);
    expect(unparseableVersions(['1.2.3', 'v0.1'])).toEqual([]);
  });

  it.each([
    [['1.0.0', '2.0.0-rc.1', '1.5.0'], '2.0.0-rc.1', '1.5.0'],
    [['1.0.0-beta', '1.0.0-alpha'], '1.0.0-beta', '1.0.0-beta'],
    [['v0.3.0', '0.10.0', '0.9.1'], '0.10.0', '0.10.0'],
    [['1.0', '1.0.0'], '1.0.0', '1.0.0'], // equal: the later one, as Go's sort leaves short lists
    [['master', 'latest'], undefined, undefined],
    [[], undefined, undefined],
  ])('%j: latest %s (pre-releases included), latest stable %s', (raws, latest, stable) => {
    expect(latestVersion(raws)).toBe(latest);
    expect(latestStable(raws)).toBe(stable);
  });
});

describe('otherSpelling', () => {
  it.each([
    ['v1.2.3', '1.2.3'],
    ['1.2.3', 'v1.2.3'],
    ['0.1.0-rc.1', 'v0.1.0-rc.1'],
    ['latest', undefined],
    ['v', undefined],
    ['', undefined],
  ])('%j → %j', (raw, other) => {
    expect(otherSpelling(raw)).toBe(other);
  });
});

describe('resolveVersion', () => {
  it.each([
    ['1.2.3', ['1.2.3', 'v1.2.3'], '1.2.3'], // exact spelling first
    ['v1.2.3', ['1.2.3', 'v1.2.3'], 'v1.2.3'],
    ['1.2.3', ['v1.2.3'], 'v1.2.3'], // the registry's own spelling
    ['v1.2.3', ['1.2.3'], '1.2.3'],
    ['latest', ['1.0.0', '1.1.0', '2.0.0-rc.1'], '1.1.0'],
    ['latest', ['2.0.0-rc.1', '2.0.0-rc.2'], '2.0.0-rc.2'],
    ['latest', ['latest', '1.0.0'], 'latest'], // a tag named latest is an exact match
    ['latest', [], undefined],
    ['1.2.4', ['1.2.3', 'v1.2.3'], undefined],
    ['1.2', ['1.2.0'], undefined], // equal by go-version, but a different spelling
    ['master', ['1.0.0'], undefined],
    ['', ['1.0.0'], undefined],
  ])('%j among %j → %j', (requested, available, expected) => {
    expect(resolveVersion(requested, available)).toBe(expected);
  });
});

describe('sensuctlVersion (sensuctl asset add)', () => {
  const listed = ['1.0.0', 'v0.9.0', '1.1.0-rc.1', 'nightly', '1.0.0+build.1'];
  it.each([
    [undefined, listed, { kind: 'found', version: '1.1.0-rc.1' }],
    ['0.9.0', listed, { kind: 'found', version: 'v0.9.0' }],
    ['1', listed, { kind: 'found', version: '1.0.0' }],
    ['1.0.0+other', listed, { kind: 'found', version: '1.0.0' }],
    ['2.0.0', listed, { kind: 'not-found', available: ['v0.9.0', '1.0.0', '1.0.0+build.1', '1.1.0-rc.1'] }],
    ['latest', listed, { kind: 'unparseable-request' }],
    [undefined, ['nightly', 'main'], { kind: 'no-versions' }],
    [undefined, [], { kind: 'no-versions' }],
  ] as const)('request %s among %j → %j', (requested, available, expected) => {
    expect(sensuctlVersion(requested, available)).toEqual(expected);
  });
});
