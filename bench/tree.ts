import { randomFillSync, randomInt } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** What the benchmark tree holds: many small files and a few large binaries, ~256 MB in all. */
export interface TreeShape {
  smallFiles: number;
  smallFileBytes: number;
  largeFiles: number;
  largeFileBytes: number;
}

export const DEFAULT_SHAPE: TreeShape = {
  smallFiles: 8_000,
  smallFileBytes: 8 << 10,
  largeFiles: 4,
  largeFileBytes: 48 << 20,
};

const WORDS =
  'sensu asset check handler mutator filter entity system arch platform linux darwin windows amd64 arm64 metric event status output interval subscription namespace keepalive agent backend token annotation label'.split(
    ' ',
  );

/** Source-code-like text: compresses roughly as scripts and Ruby/Python libraries do (~4:1). */
function textBlock(bytes: number): Buffer {
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = `${'  '.repeat(randomInt(4))}${WORDS[randomInt(WORDS.length)]}_${randomInt(1000)} = ${WORDS[randomInt(WORDS.length)]}(${randomInt(1 << 16)})\n`;
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

/** Binary-like bytes: half random (code, compressed sections), half low-entropy (tables, padding). */
function binaryBlock(bytes: number): Buffer {
  const buf = Buffer.alloc(bytes);
  const block = 64 << 10;
  for (let at = 0; at < bytes; at += block) {
    const end = Math.min(bytes, at + block);
    const slice = buf.subarray(at, end);
    randomFillSync(slice);
    if ((at / block) % 2 === 1) for (let i = 0; i < slice.length; i++) slice[i] = slice[i]! & 0x0f;
  }
  return buf;
}

/** Writes bin/ (large binaries) and lib/ (small text files) of the given shape under `dir`; returns the bytes. */
async function writeContent(dir: string, shape: TreeShape): Promise<number> {
  let total = 0;
  await mkdir(path.join(dir, 'bin'), { recursive: true });
  for (let i = 0; i < shape.largeFiles; i++) {
    const file = path.join(dir, 'bin', `tool-${i}`);
    const bytes = binaryBlock(shape.largeFileBytes);
    await writeFile(file, bytes);
    await chmod(file, 0o755);
    total += bytes.length;
  }
  const perDir = 200;
  for (let i = 0; i < shape.smallFiles; i++) {
    const sub = path.join(dir, 'lib', `pkg-${Math.floor(i / perDir)}`);
    if (i % perDir === 0) await mkdir(sub, { recursive: true });
    const bytes = textBlock(Math.max(64, randomInt(shape.smallFileBytes * 2)));
    await writeFile(path.join(sub, `mod-${i}.rb`), bytes);
    total += bytes.length;
  }
  return total;
}

/** One build of bonsai.yml, as lines: its files named by platform and arch, one checksum file. */
export function buildYaml(platform: string, arch: string): string[] {
  return [
    `  - platform: ${platform}`,
    `    arch: ${arch}`,
    `    asset_filename: "#{repo}_#{version}_${platform}_${arch}.tar.gz"`,
    '    sha_filename: "#{repo}_#{version}_sha512-checksums.txt"',
    '    filter:',
    `      - "entity.system.os == '${platform}'"`,
    `      - "entity.system.arch == '${arch}'"`,
  ];
}

/** Writes an asset project (bonsai.yml with one build, bin/, lib/, README) of the given shape. */
export async function makeBenchTree(dir: string, shape: TreeShape = DEFAULT_SHAPE): Promise<number> {
  const total = await writeContent(dir, shape);
  await writeFile(path.join(dir, 'README.md'), '# bench\n');
  await writeFile(
    path.join(dir, 'bonsai.yml'),
    ['---', 'description: "#{repo}"', 'builds:', ...buildYaml('linux', 'amd64'), ''].join('\n'),
  );
  return total;
}

/** The platforms of the distinct-builds project: each build packs its own build/<platform>_<arch>/. */
export const DISTINCT_BUILDS = [
  ['linux', 'amd64'],
  ['linux', 'arm64'],
  ['linux', 'armv7'],
  ['darwin', 'arm64'],
  ['windows', 'amd64'],
] as const;

/**
 * Writes an asset project with one build per DISTINCT_BUILDS entry, each taking its files from its own
 * build/<platform>_<arch>/ folder (distinct content, so every archive is compressed), `shape` each.
 */
export async function makeDistinctBuildsTree(dir: string, shape: TreeShape): Promise<number> {
  let total = 0;
  for (const [platform, arch] of DISTINCT_BUILDS) {
    total += await writeContent(path.join(dir, 'build', `${platform}_${arch}`), shape);
  }
  await writeFile(path.join(dir, 'README.md'), '# bench\n');
  await writeFile(
    path.join(dir, 'bonsai.yml'),
    [
      '---',
      'description: "#{repo}"',
      'builds:',
      ...DISTINCT_BUILDS.flatMap(([platform, arch]) => buildYaml(platform, arch)),
      '',
    ].join('\n'),
  );
  return total;
}

/** DEFAULT_SHAPE split over the distinct builds: ~256 MB in all, scaled by `scale`. */
export function distinctBuildShape(scale = 1): TreeShape {
  const builds = DISTINCT_BUILDS.length;
  return {
    smallFiles: Math.round((DEFAULT_SHAPE.smallFiles * scale) / builds),
    smallFileBytes: DEFAULT_SHAPE.smallFileBytes,
    largeFiles: DEFAULT_SHAPE.largeFiles,
    largeFileBytes: Math.round((DEFAULT_SHAPE.largeFileBytes * scale) / builds),
  };
}
