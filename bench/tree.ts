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

/** Writes an asset project (bonsai.yml with one build, bin/, lib/, README) of the given shape. */
export async function makeBenchTree(dir: string, shape: TreeShape = DEFAULT_SHAPE): Promise<number> {
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
  await writeFile(path.join(dir, 'README.md'), '# bench\n');
  await writeFile(
    path.join(dir, 'bonsai.yml'),
    [
      '---',
      'description: "#{repo}"',
      'builds:',
      '  - platform: linux',
      '    arch: amd64',
      '    asset_filename: "#{repo}_#{version}_linux_amd64.tar.gz"',
      '    sha_filename: "#{repo}_#{version}_sha512-checksums.txt"',
      '    filter:',
      '      - "entity.system.os == \'linux\'"',
      '      - "entity.system.arch == \'amd64\'"',
      '',
    ].join('\n'),
  );
  return total;
}
