import { describe, expect, it } from 'vitest';
import { releaseFileNameProblem } from './file-names.js';

describe('releaseFileNameProblem', () => {
  it.each([
    ['sensu-check_1.0.0_linux_amd64.tar.gz', undefined],
    ['x.sha512.txt', undefined],
    ['..x', undefined],
    ['', 'is empty'],
    ['   ', 'is empty'],
    ['.', 'is a relative folder'],
    ['..', 'is a relative folder'],
    ['dist/x.tar.gz', "contains a path separator ('/', or '\\' on Windows)"],
    ['dist\\x.tar.gz', "contains a path separator ('/', or '\\' on Windows)"],
    ['..\\..\\evil', "contains '..' as a path part ('\\' separates paths on Windows)"],
    ['../x', "contains '..' as a path part ('\\' separates paths on Windows)"],
    ['x\n.tar.gz', 'contains a control character'],
    ['x\u0000', 'contains a control character'],
  ])('%j: %s', (name, problem) => {
    expect(releaseFileNameProblem(name)).toBe(problem);
  });
});
