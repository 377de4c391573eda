import { describe, expect, it } from 'vitest';
import { GroupedLru } from './grouped-lru.js';

describe('GroupedLru', () => {
  it('drops one group, leaving the others (a name that starts like it included)', () => {
    const lru = new GroupedLru<string>({ max: 100 });
    for (const group of ['asset:a/b', 'asset:a/bc', 'list'])
      for (const key of ['x', 'y']) lru.set(group, key, `${group} ${key}`);
    lru.drop('asset:a/b');
    expect([lru.get('asset:a/b', 'x'), lru.get('asset:a/b', 'y')]).toEqual([undefined, undefined]);
    expect(lru.get('asset:a/bc', 'x')).toBe('asset:a/bc x');
    expect(lru.get('list', 'y')).toBe('list y');
    expect(lru.size).toBe(4);
  });

  it('does not store a load that straddles a drop of its group, or a clear', () => {
    const lru = new GroupedLru<string>({ max: 100 });
    const before = lru.generation('g');
    lru.drop('g');
    expect(lru.set('g', 'k', 'old', before)).toBe(false);
    expect(lru.get('g', 'k')).toBeUndefined();
    // Another group's drop does not matter.
    const again = lru.generation('g');
    lru.drop('h');
    expect(lru.set('g', 'k', 'new', again)).toBe(true);
    const beforeClear = lru.generation('g');
    lru.clear();
    expect(lru.set('g', 'k', 'older', beforeClear)).toBe(false);
    expect(lru.get('g', 'k')).toBeUndefined();
  });

  it('forgets evicted and refused entries: a later drop of their group still drops the rest', () => {
    const lru = new GroupedLru<string>({
      maxSize: 30,
      maxEntrySize: 20,
      sizeCalculation: (value) => value.length,
    });
    expect(lru.set('g', 'a', 'x'.repeat(10))).toBe(true);
    // Too large: refused, and what the key held is gone too.
    expect(lru.set('g', 'a', 'x'.repeat(25))).toBe(false);
    expect(lru.get('g', 'a')).toBeUndefined();
    lru.set('g', 'b', 'b'.repeat(10));
    lru.set('h', 'c', 'c'.repeat(10));
    lru.set('h', 'd', 'd'.repeat(10));
    lru.set('g', 'e', 'e'.repeat(10)); // evicts g/b, the least recently used
    expect(lru.get('g', 'b')).toBeUndefined();
    expect(lru.calculatedSize).toBe(30);
    lru.drop('g');
    expect(lru.get('g', 'e')).toBeUndefined();
    expect([lru.get('h', 'c'), lru.get('h', 'd')]).toEqual(['c'.repeat(10), 'd'.repeat(10)]);
    expect(lru.size).toBe(2);
  });
});
