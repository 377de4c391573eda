import { accessSync, constants, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { resolveInside } from '../../bonsai-schema/archive-rules.js';
import { releaseFileNameProblem } from '../../bonsai-schema/file-names.js';
import { PackagerError, packRefused, type PackagerErrorCode } from '../errors.js';

/** One thing placed at the archive root: a folder (`bin`, `lib`, `include`) or a document (`README.md`). */
export interface ArchiveSource {
  /** Its name at the archive root. */
  name: string;
  /** Where it is on disk (absolute). */
  path: string;
}

/** Modes written into the archive, whatever the disk says (reproducible across umask and owner). */
export const DIRECTORY_MODE = 0o755;
export const EXECUTABLE_MODE = 0o755;
export const FILE_MODE = 0o644;
/** Symlink modes mean nothing on Linux; 0777 is what `ln -s` shows and GNU tar records. */
export const SYMLINK_MODE = 0o777;

interface EntryBase {
  /** The archive name, `/`-separated, no leading `./`, no trailing `/`. */
  name: string;
  /** Absolute path on disk. */
  path: string;
  /** The mode written into the archive. */
  mode: number;
}

export type TreeEntry =
  | (EntryBase & { kind: 'directory' })
  | (EntryBase & { kind: 'file'; stats: Stats })
  | (EntryBase & { kind: 'symlink'; target: string });

export interface CollectOptions {
  /** How a path on disk is shown to the user (relative to the cwd, say). */
  show: (absolutePath: string) => string;
}

/** Longest symlink chain followed inside the archive before calling it a loop (Linux's own limit). */
const MAX_LINK_HOPS = 40;

/**
 * Walks `sources` and returns every entry to archive, sorted by name (so the archive does not depend
 * on directory order). Refuses, all at once, whatever the Sensu agent would extract unsafely or could
 * not run (COMPAT §3): symlinks that are absolute or leave the tree, hard links, devices, fifos,
 * sockets, names that traverse, unreadable files, and a `bin/` whose files are not executable.
 */
export function collectTree(sources: readonly ArchiveSource[], options: CollectOptions): TreeEntry[] {
  const walk = new TreeWalk(options);
  for (const source of sources) walk.visitRoot(source);
  const entries = walk.entries.sort((a, b) => compareNames(a.name, b.name));
  walk.checkLinks(entries);
  walk.checkBin(entries);
  if (walk.problems.length > 0) throw packRefused(walk.problems, 'in the tree');
  return entries;
}

/** Plain code-unit order: the same names always give the same order, whatever the locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

class TreeWalk {
  readonly entries: TreeEntry[] = [];
  readonly problems: PackagerError[] = [];
  /** Whether a regular file had an execute bit on disk (modes are normalised before checkBin). */
  private readonly executable = new Set<string>();

  constructor(private readonly options: CollectOptions) {}

  private refuse(code: PackagerErrorCode, absolutePath: string, message: string, hint?: string) {
    const shown = this.options.show(absolutePath);
    this.problems.push(
      new PackagerError(code, `${shown}: ${message}`, {
        path: shown,
        ...(hint !== undefined ? { hint } : {}),
      }),
    );
  }

  visitRoot(source: ArchiveSource): void {
    let stats: Stats;
    try {
      stats = lstatSync(source.path);
    } catch (err) {
      this.refuse('PACK_UNREADABLE', source.path, `cannot be read (${errorCode(err)})`);
      return;
    }
    if (['bin', 'lib', 'include'].includes(source.name) && !stats.isDirectory()) {
      this.refuse(
        'PACK_ROOT_NOT_DIRECTORY',
        source.path,
        `must be a directory (the agent adds ${source.name}/ to a search path)`,
        stats.isSymbolicLink() ? 'replace the symlink with the directory itself' : undefined,
      );
      return;
    }
    this.visit(source.name, source.path, stats);
  }

  // Synchronous on purpose: thousands of small files cost ~5 µs each this way, ~50 µs each through
  // fs/promises, and nothing else runs while a tree is walked.
  private visit(name: string, absolutePath: string, stats: Stats): void {
    if (!this.checkName(name, absolutePath)) return;
    if (stats.isDirectory()) {
      this.entries.push({ kind: 'directory', name, path: absolutePath, mode: DIRECTORY_MODE });
      let children: string[];
      try {
        children = readdirSync(absolutePath).sort(compareNames);
      } catch (err) {
        this.refuse('PACK_UNREADABLE', absolutePath, `directory cannot be read (${errorCode(err)})`);
        return;
      }
      for (const child of children) {
        const childPath = path.join(absolutePath, child);
        let childStats: Stats;
        try {
          childStats = lstatSync(childPath);
        } catch (err) {
          this.refuse('PACK_UNREADABLE', childPath, `cannot be read (${errorCode(err)})`);
          continue;
        }
        this.visit(`${name}/${child}`, childPath, childStats);
      }
      return;
    }
    if (stats.isSymbolicLink()) {
      let target: string;
      try {
        target = readlinkSync(absolutePath);
      } catch (err) {
        this.refuse('PACK_UNREADABLE', absolutePath, `symlink cannot be read (${errorCode(err)})`);
        return;
      }
      this.entries.push({ kind: 'symlink', name, path: absolutePath, mode: SYMLINK_MODE, target });
      return;
    }
    if (stats.isFile()) {
      if (stats.nlink > 1) {
        const q = shellQuote(this.options.show(absolutePath));
        this.refuse(
          'PACK_HARD_LINK',
          absolutePath,
          `is a hard link (${stats.nlink} names for one file); archives must not carry hard links`,
          `give it its own copy: cp -p ${q} ${q}.copy && mv ${q}.copy ${q}`,
        );
        return;
      }
      try {
        accessSync(absolutePath, constants.R_OK);
      } catch (err) {
        this.refuse('PACK_UNREADABLE', absolutePath, `file cannot be read (${errorCode(err)})`);
        return;
      }
      const isExecutable = (stats.mode & 0o111) !== 0;
      if (isExecutable) this.executable.add(name);
      this.entries.push({
        kind: 'file',
        name,
        path: absolutePath,
        mode: isExecutable ? EXECUTABLE_MODE : FILE_MODE,
        stats,
      });
      return;
    }
    this.refuse(
      'PACK_SPECIAL_FILE',
      absolutePath,
      `is a ${specialKind(stats)}; an asset may hold only files, directories and symlinks`,
    );
  }

  /** Names the agent would extract outside its folder (on Windows too), or that break listings. */
  private checkName(name: string, absolutePath: string): boolean {
    const problem = releaseFileNameProblem(name.slice(name.lastIndexOf('/') + 1));
    if (problem === undefined) return true;
    this.refuse('PACK_UNSAFE_NAME', absolutePath, `the name ${problem}`);
    return false;
  }

  /** Symlinks must stay inside the archive and point at something it contains. */
  checkLinks(entries: readonly TreeEntry[]): void {
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const entry of entries) {
      if (entry.kind !== 'symlink') continue;
      const problem = linkProblem(entry, byName);
      if (problem) this.refuse(problem.code, entry.path, problem.message, problem.hint);
    }
  }

  /** Every file directly in `bin/` goes on PATH, so each must be executable, and there must be one. */
  checkBin(entries: readonly TreeEntry[]): void {
    const byName = new Map(entries.map((e) => [e.name, e]));
    const bin = byName.get('bin');
    if (!bin) return;
    let commands = 0;
    let refused = 0;
    for (const entry of entries) {
      if (!/^bin\/[^/]+$/.test(entry.name)) continue;
      const resolved = entry.kind === 'symlink' ? resolveLink(entry, byName) : entry;
      if (!resolved || resolved.kind !== 'file') continue;
      if (this.executable.has(resolved.name)) {
        commands++;
        continue;
      }
      refused++;
      const shown = this.options.show(resolved.path);
      this.refuse(
        'PACK_NOT_EXECUTABLE',
        resolved.path,
        entry === resolved
          ? 'is in bin/ but not executable; the agent could not run it'
          : `is the target of ${this.options.show(entry.path)} in bin/ but not executable; the agent could not run it`,
        `chmod +x ${shellQuote(shown)}`,
      );
    }
    if (commands === 0 && refused === 0) {
      this.refuse(
        'PACK_BIN_NO_EXECUTABLE',
        bin.path,
        'holds no executable file; the agent adds bin/ to PATH to run your commands',
        'put your executables in bin/ and chmod +x them, or remove the empty bin/',
      );
    }
  }
}

interface LinkProblem {
  code: PackagerErrorCode;
  message: string;
  hint?: string;
}

function linkProblem(
  entry: TreeEntry & { kind: 'symlink' },
  byName: ReadonlyMap<string, TreeEntry>,
): LinkProblem | undefined {
  const target = entry.target;
  if (path.posix.isAbsolute(target) || /^[A-Za-z]:[\\/]/.test(target)) {
    return {
      code: 'PACK_SYMLINK_ABSOLUTE',
      message: `is a symlink to the absolute path '${target}', which would point outside the asset on the host`,
      hint: 'make it relative to its own folder, or replace it with a copy of the file',
    };
  }
  if (target.includes('\\')) {
    return {
      code: 'PACK_SYMLINK_OUTSIDE',
      message: `is a symlink to '${target}', which contains '\\' (a Windows path separator)`,
    };
  }
  const resolved = resolveInside(entry.name, target);
  if (resolved === undefined) {
    return {
      code: 'PACK_SYMLINK_OUTSIDE',
      message: `is a symlink to '${target}', which leaves the archive`,
      hint: 'an asset is extracted into its own folder; link only to files inside bin/, lib/ or include/',
    };
  }
  const hops = followLink(entry, byName);
  if (hops === 'loop')
    return { code: 'PACK_SYMLINK_DANGLING', message: `is a symlink loop through '${target}'` };
  if (hops === undefined) {
    return {
      code: 'PACK_SYMLINK_DANGLING',
      message: `is a symlink to '${target}', which is not in the archive`,
      hint: 'only bin/, lib/, include/ and the README, LICENSE and CHANGELOG files are packed',
    };
  }
  return undefined;
}

function followLink(
  entry: TreeEntry,
  byName: ReadonlyMap<string, TreeEntry>,
): TreeEntry | 'loop' | undefined {
  let current: TreeEntry | undefined = entry;
  for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
    if (!current || current.kind !== 'symlink') return current;
    const next = resolveInside(current.name, current.target);
    current = next === undefined ? undefined : byName.get(next);
  }
  return 'loop';
}

function resolveLink(entry: TreeEntry, byName: ReadonlyMap<string, TreeEntry>): TreeEntry | undefined {
  const resolved = followLink(entry, byName);
  return resolved === 'loop' ? undefined : resolved;
}

function specialKind(stats: Stats): string {
  if (stats.isFIFO()) return 'fifo (named pipe)';
  if (stats.isSocket()) return 'socket';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isCharacterDevice()) return 'character device';
  return 'special file';
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? String(err);
}

/** Quotes a path for a copy-pasteable hint when it holds characters the shell would split on. */
function shellQuote(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
