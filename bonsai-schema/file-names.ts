/**
 * Why `name` cannot be one file name in a flat folder: a GitHub release asset, a line of a checksum file,
 * a mirrored artifact, an entry's name in a packed folder. Undefined when it can. The answer reads after
 * "it" ("it contains a path separator").
 */
export function releaseFileNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'is empty';
  if (name === '.' || name === '..') return 'is a relative folder';
  // Windows reads '\' as a separator, so `..\x` climbs out as `../x` does.
  if (name.split(/[/\\]/).includes('..'))
    return "contains '..' as a path part ('\\' separates paths on Windows)";
  if (/[/\\]/.test(name)) return "contains a path separator ('/', or '\\' on Windows)";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains a control character';
  return undefined;
}
