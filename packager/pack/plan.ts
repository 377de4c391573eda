import { lstatSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { PlannedBuild } from '../../bonsai-schema/index.js';
import { compareNames, type ArchiveSource } from '../archive/tree.js';
import { PackagerError, packRefused } from '../errors.js';

/** The folders the agent uses (COMPAT §3), packed from the project or from a build's override folder. */
export const ASSET_FOLDERS = ['bin', 'lib', 'include'] as const;

/** Documents packed at the archive root from the project folder, whatever the build. */
export const DOCUMENT_NAME = /^(readme|licen[cs]e|changelog)(\.[^/\\]+)?$/i;

/** Where a build finds its own bin/, lib/ and include/ instead of the project's: `build/<platform>_<arch>/`. */
export function overrideFolder(dir: string, platform: string, arch: string): string | undefined {
  const name = `${platform}_${arch}`;
  if (/[/\\]/.test(name) || name === '.' || name === '..') return undefined;
  return path.join(dir, 'build', name);
}

export interface PlannedArchive {
  /** The interpolated `asset_filename`. */
  fileName: string;
  /** Where bin/, lib/ and include/ come from: the project folder or a `build/<platform>_<arch>/`. */
  contentRoot: string;
  /** The builds that name this file (several builds may share one archive). */
  builds: PlannedBuild[];
  sources: ArchiveSource[];
}

export interface PlannedChecksumFile {
  fileName: string;
  /** The archives it lists. */
  archives: string[];
}

export interface PackPlan {
  archives: PlannedArchive[];
  checksumFiles: PlannedChecksumFile[];
}

/**
 * Decides what each archive holds and which checksum file lists it, before anything is read or written.
 * Refuses names GitHub or a checksum file cannot carry, two builds that would write different content
 * to one file name, and a build with nothing to pack.
 */
export function planPack(
  dir: string,
  builds: readonly PlannedBuild[],
  show: (p: string) => string,
): PackPlan {
  const problems: PackagerError[] = [];
  const documents = documentSources(dir);
  const archives = new Map<string, PlannedArchive>();
  const checksumFiles = new Map<string, Set<string>>();

  for (const build of builds) {
    const label = `build #${build.number} (${build.platform}/${build.arch})`;
    const override = overrideFolder(dir, build.platform, build.arch);
    const contentRoot = override !== undefined && isDirectory(override) ? override : dir;
    const existing = archives.get(build.assetFilename);
    if (existing) {
      if (existing.contentRoot !== contentRoot) {
        problems.push(
          new PackagerError(
            'PACK_ASSET_NAME_CLASH',
            `${label} and build #${existing.builds[0]!.number} both name ${build.assetFilename} but take their files from ${show(contentRoot)} and ${show(existing.contentRoot)}`,
            { hint: 'give each build its own asset_filename (e.g. with _<platform>_<arch> in it)' },
          ),
        );
        continue;
      }
      existing.builds.push(build);
    } else {
      const folders = ASSET_FOLDERS.filter((f) => exists(path.join(contentRoot, f)));
      if (folders.length === 0) {
        problems.push(
          new PackagerError(
            'PACK_NOTHING_TO_PACK',
            `${label}: ${show(contentRoot)} has no bin/, lib/ or include/ to pack`,
            {
              hint:
                contentRoot === dir
                  ? 'put the executables in bin/ (bonsai init shows the layout)'
                  : `fill ${show(contentRoot)}/bin, or remove that folder to pack the project's own bin/`,
            },
          ),
        );
        continue;
      }
      archives.set(build.assetFilename, {
        fileName: build.assetFilename,
        contentRoot,
        builds: [build],
        sources: [...folders.map((f) => ({ name: f, path: path.join(contentRoot, f) })), ...documents],
      });
    }
    const listed = checksumFiles.get(build.shaFilename) ?? new Set<string>();
    listed.add(build.assetFilename);
    checksumFiles.set(build.shaFilename, listed);
  }

  for (const sha of checksumFiles.keys()) {
    if (archives.has(sha)) {
      problems.push(
        new PackagerError(
          'PACK_ASSET_NAME_CLASH',
          `${sha} is named both as an archive and as a checksum file`,
        ),
      );
    }
  }
  if (problems.length > 0) throw packRefused(problems, 'with the builds');
  return {
    archives: [...archives.values()],
    checksumFiles: [...checksumFiles].map(([fileName, names]) => ({
      fileName,
      archives: [...names].sort(compareNames),
    })),
  };
}

/** README, LICENSE and CHANGELOG files at the project root, in name order. */
function documentSources(dir: string): ArchiveSource[] {
  return readdirSync(dir)
    .filter((name) => DOCUMENT_NAME.test(name))
    .filter((name) => {
      const info = lstatSync(path.join(dir, name));
      return info.isFile() || info.isSymbolicLink();
    })
    .sort(compareNames)
    .map((name) => ({ name, path: path.join(dir, name) }));
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
