import { describe, expect, it } from 'vitest';
import { PackagerError } from '../errors.js';
import { DEFAULT_MTIME, sourceDateEpoch } from './source-date.js';

describe('sourceDateEpoch', () => {
  it.each([
    [undefined, DEFAULT_MTIME.getTime()],
    ['', DEFAULT_MTIME.getTime()],
    ['0', 0],
    ['1700000000', 1_700_000_000_000],
    [' 42 ', 42_000],
    ['8589934591', 8_589_934_591_000],
  ])('%j -> %d ms', (value, ms) => {
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: value }).getTime()).toBe(ms);
  });

  it.each([['-1'], ['1.5'], ['2024-01-01'], ['8589934592'], ['1e9']])(
    'refuses %j, naming the variable',
    (value) => {
      expect(() => sourceDateEpoch({ SOURCE_DATE_EPOCH: value })).toThrow(PackagerError);
      expect(() => sourceDateEpoch({ SOURCE_DATE_EPOCH: value })).toThrow(/SOURCE_DATE_EPOCH=/);
    },
  );
});
