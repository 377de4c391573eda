import { readFileSync } from 'node:fs';

/** The package's version, read once from package.json (one level above cli/ in the sources and in dist/). */
function readVersion(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'sensu-bonsai-hub' && pkg.version) return pkg.version;
    } catch {
      // not there: try the next level up
    }
  }
  return 'unknown';
}

export const PACKAGE_VERSION = readVersion();
