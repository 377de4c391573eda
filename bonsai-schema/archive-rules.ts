import path from 'node:path';
import { diagnostic, type Diagnostic } from './diagnostics.js';

/**
 * What the Sensu agent accepts as an asset archive (COMPAT §3, sensu-go asset/expander.go): detected by
 * content, a tar or a gzip-wrapped tar, extracted as-is with `bin/`, `lib/`, `include/` at the root.
 * Pure rules over the first bytes and the entry list; reading the file is the caller's job.
 */

export type ArchiveFormat = 'gzip' | 'tar' | 'zip' | 'xz' | 'zstd' | 'bzip2' | '7z' | 'rar' | 'unknown';

/** The agent sniffs this many bytes (a tar's `ustar` magic sits at offset 257). */
export const ARCHIVE_SNIFF_BYTES = 262;

const MAGIC: readonly { format: ArchiveFormat; offset: number; bytes: readonly number[] }[] = [
  { format: 'gzip', offset: 0, bytes: [0x1f, 0x8b, 0x08] },
  { format: 'zip', offset: 0, bytes: [0x50, 0x4b, 0x03, 0x04] },
  { format: 'zip', offset: 0, bytes: [0x50, 0x4b, 0x05, 0x06] },
  { format: 'xz', offset: 0, bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { format: 'zstd', offset: 0, bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { format: 'bzip2', offset: 0, bytes: [0x42, 0x5a, 0x68] },
  { format: '7z', offset: 0, bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { format: 'rar', offset: 0, bytes: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07] },
  // "ustar" then NUL (POSIX) or a space (GNU)
  { format: 'tar', offset: 257, bytes: [0x75, 0x73, 0x74, 0x61, 0x72] },
];

/** The format of an archive from its first bytes (at least ARCHIVE_SNIFF_BYTES when the file has them). */
export function sniffArchiveFormat(head: Uint8Array): ArchiveFormat {
  for (const magic of MAGIC) {
    if (head.length < magic.offset + magic.bytes.length) continue;
    if (magic.bytes.every((b, i) => head[magic.offset + i] === b)) return magic.format;
  }
  return 'unknown';
}

/** gzip (wrapping a tar) and plain tar are what the agent extracts; everything else it refuses. */
export function isAgentFormat(format: ArchiveFormat): boolean {
  return format === 'gzip' || format === 'tar';
}

export function archiveFormatDiagnostic(format: ArchiveFormat, file: string): Diagnostic | undefined {
  if (isAgentFormat(format)) return undefined;
  const what = format === 'unknown' ? 'not an archive the agent recognises' : `a ${format} archive`;
  return diagnostic(
    'ARCHIVE_FORMAT_UNSUPPORTED',
    `the file is ${what}; the Sensu agent detects archives by content and accepts only tar or gzip-compressed tar (whatever the file name says)`,
    undefined,
    file,
  );
}

/** What a reader learnt about one archive file: its sniffed format, its entries, whether it parsed. */
export interface ArchiveContent {
  format: ArchiveFormat;
  entries: readonly ArchiveEntryInfo[];
  /** Why the content could not be read as a tar, when it could not. */
  corrupt?: string;
  /** The bound that stopped the reading (the entries are then only those read before it). */
  limit?: { code: ArchiveLimitCode; message: string };
}

/** The bounds a listing stops at (MAX_ARCHIVE_ENTRIES, MAX_UNPACKED_SIZE and the compression ratio). */
export type ArchiveLimitCode = 'ARCHIVE_TOO_MANY_ENTRIES' | 'ARCHIVE_TOO_LARGE_UNPACKED';

/** Every problem of one archive: its format, then its content, then its entries and layout. */
export function archiveDiagnostics(content: ArchiveContent, options: InspectOptions): Diagnostic[] {
  const unsupported = archiveFormatDiagnostic(content.format, options.file);
  if (unsupported) return [unsupported];
  if (content.limit !== undefined) {
    const { code, message } = content.limit;
    const fix =
      code === 'ARCHIVE_TOO_MANY_ENTRIES'
        ? 'pack fewer files (or raise MAX_ARCHIVE_ENTRIES / --max-entries if it is genuine)'
        : 'pack less (or raise MAX_UNPACKED_SIZE / --max-unpacked-size if it is genuine)';
    return [diagnostic(code, `${message}; reading stopped there: ${fix}`, undefined, options.file)];
  }
  if (content.corrupt !== undefined) {
    return [
      diagnostic(
        'ARCHIVE_CORRUPT',
        `${content.corrupt}; the agent could not extract it`,
        undefined,
        options.file,
      ),
    ];
  }
  return inspectArchiveEntries(content.entries, options);
}

/** One entry of a tar as read from its header (tar-stream's header fields). */
export interface ArchiveEntryInfo {
  name: string;
  type: string;
  mode: number;
  size: number;
  linkname?: string | null;
}

export interface InspectOptions {
  /** The archive's file name, given to every diagnostic. */
  file: string;
  /** A Windows build: exec bits mean nothing there, but bin/ needs a .exe, .bat or .cmd. */
  windows?: boolean;
}

/** `./bin/x/` → `bin/x`: the agent extracts both spellings to the same place. */
export function normalizeEntryName(name: string): string {
  let n = name;
  while (n.startsWith('./')) n = n.slice(2);
  return n.replace(/\/+$/, '');
}

/** Resolves a link `target` against the folder holding `linkName`; undefined when it leaves the root. */
export function resolveInside(linkName: string, target: string): string | undefined {
  if (path.posix.isAbsolute(target) || /^[A-Za-z]:[\\/]/.test(target) || target.includes('\\'))
    return undefined;
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(linkName), target));
  if (joined === '..' || joined.startsWith('../')) return undefined;
  return joined.replace(/\/+$/, '');
}

/** Does this name leave the extraction folder (absolute, a `..` part, or `\` as Windows reads it)? */
export function isUnsafeEntryName(name: string): boolean {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return true;
  return name.split(/[\\/]/).includes('..') || name.includes('\\');
}

const FILE_TYPES = new Set(['file', 'contiguous-file']);
/** Per code and archive; the rest are counted in one last diagnostic. */
const MAX_REPORTED_PER_CODE = 20;
const WINDOWS_EXECUTABLE = /\.(exe|bat|cmd|com)$/i;

/**
 * Every problem the agent would hit extracting and using this archive: unsafe names and links, hard
 * links, devices, duplicate entries (extraction fails and poisons the host's cache), the asset folders
 * not at the root (a wrapping `pkg-1.0/`), and commands in bin/ without an exec bit.
 */
export function inspectArchiveEntries(
  entries: readonly ArchiveEntryInfo[],
  options: InspectOptions,
): Diagnostic[] {
  const { file } = options;
  const out: Diagnostic[] = [];
  // A hostile archive can repeat one problem per entry: each code is reported a few times, then counted.
  const counts = new Map<Parameters<typeof diagnostic>[0], number>();
  const problem = (code: Parameters<typeof diagnostic>[0], message: string) => {
    const n = (counts.get(code) ?? 0) + 1;
    counts.set(code, n);
    if (n <= MAX_REPORTED_PER_CODE) out.push(diagnostic(code, message, undefined, file));
  };
  const summarize = () => {
    for (const [code, n] of counts) {
      if (n <= MAX_REPORTED_PER_CODE) continue;
      const more = n - MAX_REPORTED_PER_CODE;
      out.push(
        diagnostic(code, `and ${more} more entr${more === 1 ? 'y' : 'ies'} like these`, undefined, file),
      );
    }
  };

  const seen = new Map<string, ArchiveEntryInfo>();
  const kept: ArchiveEntryInfo[] = [];
  for (const entry of entries) {
    const name = normalizeEntryName(entry.name);
    if (name === '' || name === '.') continue;
    if (isUnsafeEntryName(name)) {
      problem('ARCHIVE_UNSAFE_PATH', `entry '${entry.name}' would be extracted outside the asset's folder`);
      continue;
    }
    if (entry.type === 'link') {
      problem(
        'ARCHIVE_HARD_LINK',
        `entry '${name}' is a hard link (to '${entry.linkname ?? ''}'); pack a copy of the file`,
      );
      continue;
    }
    if (entry.type === 'symlink') {
      const target = entry.linkname ?? '';
      if (resolveInside(name, target) === undefined) {
        problem('ARCHIVE_UNSAFE_LINK', `symlink '${name}' points to '${target}', outside the asset's folder`);
        continue;
      }
    } else if (!FILE_TYPES.has(entry.type) && entry.type !== 'directory') {
      problem(
        'ARCHIVE_SPECIAL_ENTRY',
        `entry '${name}' is a ${entry.type}; an asset may hold only files, directories and symlinks`,
      );
      continue;
    }
    const earlier = seen.get(name);
    if (earlier && !(earlier.type === 'directory' && entry.type === 'directory')) {
      problem(
        'ARCHIVE_DUPLICATE_ENTRY',
        `'${name}' appears twice; the agent's extraction fails on the second copy and leaves a broken cache on the host`,
      );
      continue;
    }
    seen.set(name, entry);
    kept.push({ ...entry, name });
  }
  summarize();

  if (kept.length === 0) {
    if (out.length === 0) problem('ARCHIVE_EMPTY', 'the archive holds no entries');
    return out;
  }
  out.push(...layoutProblems(kept, seen, options));
  return out;
}

function layoutProblems(
  entries: readonly ArchiveEntryInfo[],
  byName: ReadonlyMap<string, ArchiveEntryInfo>,
  options: InspectOptions,
): Diagnostic[] {
  const { file } = options;
  const out: Diagnostic[] = [];
  const tops = new Set(entries.map((e) => e.name.split('/')[0]!));
  const assetDirs = ['bin', 'lib', 'include'].filter((d) => tops.has(d));
  if (assetDirs.length === 0) {
    const wrapper = tops.size === 1 ? [...tops][0]! : undefined;
    const inner = wrapper
      ? ['bin', 'lib', 'include'].filter((d) =>
          entries.some((e) => e.name.startsWith(`${wrapper}/${d}/`) || e.name === `${wrapper}/${d}`),
        )
      : [];
    if (wrapper && inner.length > 0) {
      out.push(
        diagnostic(
          'ARCHIVE_WRAPPING_DIRECTORY',
          `everything is inside '${wrapper}/' (${inner.map((d) => `${wrapper}/${d}/`).join(', ')}); the agent looks for bin/, lib/ and include/ at the archive root, so nothing would land on PATH. Archive the folder's contents instead (tar -C ${wrapper} -czf ... ${inner.join(' ')})`,
          undefined,
          file,
        ),
      );
    } else {
      out.push(
        diagnostic(
          'ARCHIVE_NO_ASSET_DIRECTORY',
          `no bin/, lib/ or include/ at the archive root; the agent would install nothing usable`,
          undefined,
          file,
        ),
      );
    }
    return out;
  }

  if (!tops.has('bin')) return out;
  const commands = entries.filter((e) => /^bin\/[^/]+$/.test(e.name) && e.type !== 'directory');
  if (options.windows) {
    if (!commands.some((e) => WINDOWS_EXECUTABLE.test(e.name))) {
      out.push(
        diagnostic(
          'ARCHIVE_WINDOWS_NO_EXECUTABLE',
          `a Windows build whose bin/ holds no .exe, .bat or .cmd file; cmd.exe could not run anything from it`,
          undefined,
          file,
        ),
      );
    }
    return out;
  }
  let runnable = 0;
  for (const entry of commands) {
    const target = entry.type === 'symlink' ? followInside(entry, byName) : entry;
    if (!target || !FILE_TYPES.has(target.type)) continue;
    if ((target.mode & 0o100) !== 0) {
      runnable++;
      continue;
    }
    out.push(
      diagnostic(
        'ARCHIVE_NOT_EXECUTABLE',
        `'${entry.name}' has mode ${octal(target.mode)} (no exec bit); the agent would fail to run it (pack it after chmod +x)`,
        undefined,
        file,
      ),
    );
  }
  if (runnable === 0 && !out.some((d) => d.code === 'ARCHIVE_NOT_EXECUTABLE')) {
    out.push(
      diagnostic(
        'ARCHIVE_BIN_NO_EXECUTABLE',
        `bin/ holds no executable file; nothing would run from PATH`,
        undefined,
        file,
      ),
    );
  }
  return out;
}

function followInside(
  entry: ArchiveEntryInfo,
  byName: ReadonlyMap<string, ArchiveEntryInfo>,
): ArchiveEntryInfo | undefined {
  let current: ArchiveEntryInfo | undefined = entry;
  for (let hop = 0; hop < 40 && current?.type === 'symlink'; hop++) {
    const next = resolveInside(current.name, current.linkname ?? '');
    current = next === undefined ? undefined : byName.get(next);
  }
  return current?.type === 'symlink' ? undefined : current;
}

export function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** What the agent does with an extracted asset: bin/ on PATH, lib/ on LD_LIBRARY_PATH, include/ on CPATH. */
export interface AgentView {
  /** Commands on PATH: the files and symlinks directly in bin/. */
  path: string[];
  /** Everything under lib/ (shared libraries, and `*.js` loaded by JavaScript filters and mutators). */
  ldLibraryPath: string[];
  /** Everything under include/. */
  cpath: string[];
  /** `lib/**.js`, loaded into the agent's JavaScript runtime. */
  javascript: string[];
}

export function agentView(entries: readonly ArchiveEntryInfo[]): AgentView {
  const names = entries
    .filter((e) => e.type !== 'directory')
    .map((e) => normalizeEntryName(e.name))
    .filter((n) => !isUnsafeEntryName(n));
  const under = (dir: string) => names.filter((n) => n.startsWith(`${dir}/`));
  return {
    path: under('bin').filter((n) => !n.slice(4).includes('/')),
    ldLibraryPath: under('lib'),
    cpath: under('include'),
    javascript: under('lib').filter((n) => n.endsWith('.js')),
  };
}

/** A build meant for Windows agents: its platform says so, or a filter selects `os == 'windows'`. */
export function isWindowsBuild(platform: string, filters: readonly string[]): boolean {
  if (/windows/i.test(platform)) return true;
  return filters.some((f) => /entity\.system\.os\s*===?\s*['"]windows['"]/.test(f));
}
