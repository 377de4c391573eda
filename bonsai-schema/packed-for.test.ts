import { describe, expect, it } from 'vitest';
import { parseBonsaiConfig } from './config.js';
import { packedFor } from './packed-for.js';

const simple = parseBonsaiConfig(`builds:
- platform: linux
  arch: amd64
  asset_filename: "#{repo}_#{version}_linux.tar.gz"
  sha_filename: "#{repo}_#{version}_sums.txt"
  filter: "entity.system.os == 'linux'"
`).config!;

describe('packedFor', () => {
  it('names the repository and tag a folder was packed for', () => {
    const files = ['hello_1.0.0_linux.tar.gz', 'hello_1.0.0_sums.txt'];
    expect(packedFor(simple, files, { repo: 'you/other', tag: '1.0.0' })).toEqual({
      repo: 'hello',
      tag: '1.0.0',
    });
    expect(packedFor(simple, files, { repo: 'hello', tag: 'v1.0.0' })).toEqual({
      repo: 'hello',
      tag: '1.0.0',
    });
  });

  it('says nothing when the folder holds the release asked for', () => {
    const files = ['hello_1.0.0_linux.tar.gz', 'hello_1.0.0_sums.txt'];
    expect(packedFor(simple, files, { repo: 'acme/hello', tag: '1.0.0' })).toBeUndefined();
  });

  it('says nothing when no complete release fits (a file is missing, or names match nothing)', () => {
    expect(packedFor(simple, ['hello_1.0.0_linux.tar.gz'], { repo: 'other', tag: '1.0.0' })).toBeUndefined();
    expect(packedFor(simple, ['notes.txt', 'x.tar.gz'], { repo: 'other', tag: '1.0.0' })).toBeUndefined();
    expect(packedFor(simple, [], { repo: 'other', tag: '1.0.0' })).toBeUndefined();
  });

  it('treats regular-expression characters in names literally', () => {
    const files = ['a+b_1.0.0+build.1_linux.tar.gz', 'a+b_1.0.0+build.1_sums.txt'];
    expect(packedFor(simple, files, { repo: 'other', tag: '1.0.0' })).toEqual({
      repo: 'a+b',
      tag: '1.0.0+build.1',
    });
    expect(packedFor(simple, ['aXb_1_linux.tar.gz', 'aXb_1_sums.txt'], { repo: 'a.b', tag: '1' })).toEqual({
      repo: 'aXb',
      tag: '1',
    });
  });

  it('a token written twice must name the same thing both times', () => {
    const twice = parseBonsaiConfig(
      'builds:\n- platform: l\n  arch: a\n  asset_filename: "#{repo}_#{version}_#{repo}.tgz"\n' +
        '  sha_filename: "#{repo}.txt"\n  filter: "true"\n',
    ).config!;
    expect(packedFor(twice, ['x_1_x.tgz', 'x.txt'], { repo: 'y', tag: '1' })).toEqual({
      repo: 'x',
      tag: '1',
    });
    expect(packedFor(twice, ['x_1_z.tgz', 'x.txt', 'z.txt'], { repo: 'y', tag: '1' })).toBeUndefined();
  });
});
