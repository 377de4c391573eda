import path from 'node:path';

/** How a path is shown: relative to the cwd when inside it, else absolute ('.' for the cwd itself). */
export function displayPath(cwd: string, absolute: string): string {
  const relative = path.relative(cwd, absolute);
  return relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative;
}
