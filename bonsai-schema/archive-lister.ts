import { once } from 'node:events';
import { PassThrough, Transform, type Writable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import tar from 'tar-stream';
import {
  ARCHIVE_SNIFF_BYTES,
  sniffArchiveFormat,
  type ArchiveContent,
  type ArchiveEntryInfo,
  type ArchiveFormat,
  type ArchiveLimitCode,
} from './archive-rules.js';

import { DEFAULT_MAX_ARCHIVE_ENTRIES, DEFAULT_MAX_UNPACKED_SIZE } from './archive-defaults.js';

export { DEFAULT_MAX_ARCHIVE_ENTRIES, DEFAULT_MAX_UNPACKED_SIZE };
/**
 * A gzip that inflates more than this many times its size is a bomb: real assets (binaries, scripts)
 * compress 2-10x, zeros ~1000x. Checked only past RATIO_FLOOR so small, very regular archives pass.
 */
export const MAX_COMPRESSION_RATIO = 200;
const RATIO_FLOOR = 64 * 1024 * 1024;
/** Longer entry names are no path any system extracts to (PATH_MAX); keeping them would cost memory. */
const MAX_ENTRY_NAME = 4096;

export interface ArchiveLimits {
  /** Entries listed before reading stops (ARCHIVE_TOO_MANY_ENTRIES). */
  maxEntries?: number;
  /** Bytes of tar (inflated) read before reading stops (ARCHIVE_TOO_LARGE_UNPACKED). */
  maxUnpackedSize?: number;
}

/** Inflated bytes handed to the tar parser at once: larger chunks cost fewer callbacks. */
const GUNZIP_CHUNK = 256 << 10;

/**
 * Lists an archive from its bytes as they arrive (a file being read, a download), so a caller reads it
 * once for its digest and its entries: the format from its first bytes, then the tar's entry headers
 * (through gunzip when gzipped; contents are skipped). What the entries mean is `archiveDiagnostics`
 * (COMPAT §3). A corrupt archive never fails the caller: the lister stops, frees its parsers, and
 * `end()` says why. Pure byte processing: the caller does the reading.
 */
export class ArchiveLister {
  private head: Buffer[] = [];
  private headSize = 0;
  private format: ArchiveFormat | undefined;
  private input: PassThrough | undefined;
  private gunzip: Gunzip | undefined;
  private counter: Transform | undefined;
  private extract: ReturnType<typeof tar.extract> | undefined;
  /** Resolves when the parsers stopped: the tar ended, was found corrupt, or the lister was destroyed. */
  private finished: Promise<void> = Promise.resolve();
  private stop: (() => void) | undefined;
  private readonly entries: ArchiveEntryInfo[] = [];
  private corrupt: string | undefined;
  private limit: { code: ArchiveLimitCode; message: string } | undefined;
  private destroyed = false;
  /** Bytes given to write(), and bytes of tar read (after gunzip), for the size and ratio guards. */
  private packedBytes = 0;
  private unpackedBytes = 0;
  /** Sum of the sizes the entry headers declare: a header may announce a bomb before its data comes. */
  private declaredBytes = 0;
  private readonly maxEntries: number;
  private readonly maxUnpackedSize: number;

  constructor(limits: ArchiveLimits = {}) {
    this.maxEntries = limits.maxEntries ?? DEFAULT_MAX_ARCHIVE_ENTRIES;
    this.maxUnpackedSize = limits.maxUnpackedSize ?? DEFAULT_MAX_UNPACKED_SIZE;
  }

  /** True once a bound stopped the reading: the rest of the file cannot change the verdict. */
  get limited(): boolean {
    return this.limit !== undefined;
  }

  /** True once reading stopped for good (corrupt, over a bound): the rest of the file changes nothing. */
  get stopped(): boolean {
    return this.corrupt !== undefined || this.limit !== undefined;
  }

  /** Takes the next bytes of the file; resolves when the parser is ready for more. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.destroyed) return;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.packedBytes += bytes.length;
    if (this.format === undefined) {
      this.head.push(bytes);
      this.headSize += bytes.length;
      if (this.headSize >= ARCHIVE_SNIFF_BYTES) await this.start();
      return;
    }
    await this.feed(bytes);
  }

  /** The end of the file: its format, every entry read, and why reading stopped if it did. */
  async end(): Promise<ArchiveContent> {
    if (this.destroyed) throw new Error('the archive lister was destroyed');
    if (this.format === undefined) await this.start();
    if (!this.stopped) this.input?.end();
    await this.finished;
    this.release();
    const content: ArchiveContent = { format: this.format!, entries: this.entries };
    if (this.limit !== undefined) content.limit = this.limit;
    else if (this.corrupt !== undefined) content.corrupt = this.corrupt;
    return content;
  }

  /** The rest of the file will not come (a download stopped half-way): frees the parsers now. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.stop?.();
    this.release();
  }

  private async start(): Promise<void> {
    const head = Buffer.concat(this.head);
    this.head = [];
    this.format = sniffArchiveFormat(head);
    if (this.format === 'gzip' || this.format === 'tar') {
      this.input = new PassThrough();
      this.finished = this.list(this.input, this.format === 'gzip');
      await this.feed(head);
    }
  }

  private async feed(chunk: Buffer): Promise<void> {
    const input = this.input;
    if (!input || this.stopped || this.destroyed) return;
    if (!input.write(chunk)) await Promise.race([once(input, 'drain'), this.finished]);
  }

  /** Destroys every stream still open: gunzip holds a native zlib handle until then. */
  private release(): void {
    this.input?.destroy();
    this.gunzip?.destroy();
    this.counter?.destroy();
    this.extract?.destroy();
  }

  private list(input: PassThrough, gzipped: boolean): Promise<void> {
    return new Promise((resolve) => {
      const extract = tar.extract();
      this.extract = extract;
      let settled = false;
      const settle = () => {
        if (settled) return false;
        settled = true;
        resolve();
        return true;
      };
      this.stop = settle;
      const fail = (stage: 'gzip' | 'tar') => (err: unknown) => {
        if (settled) return;
        this.corrupt = describe(
          stage,
          err instanceof Error ? err.message : String(err),
          gzipped,
          this.entries.length,
        );
        settle();
        this.release();
      };
      // Reading stops at the first bound: the parsers are destroyed, the entries so far are kept.
      const refuse = (code: ArchiveLimitCode, message: string) => {
        if (settled) return;
        this.limit = { code, message };
        settle();
        this.release();
      };
      const checkUnpacked = () => {
        const unpacked = Math.max(this.unpackedBytes, this.declaredBytes);
        if (unpacked > this.maxUnpackedSize) {
          refuse(
            'ARCHIVE_TOO_LARGE_UNPACKED',
            `the archive unpacks to more than ${this.maxUnpackedSize} bytes (MAX_UNPACKED_SIZE)`,
          );
        } else if (
          gzipped &&
          this.unpackedBytes > RATIO_FLOOR &&
          this.unpackedBytes > this.packedBytes * MAX_COMPRESSION_RATIO
        ) {
          refuse(
            'ARCHIVE_TOO_LARGE_UNPACKED',
            `the archive inflates more than ${MAX_COMPRESSION_RATIO} times its size (${this.unpackedBytes} ` +
              `bytes from the first ${this.packedBytes}): a compression bomb`,
          );
        }
      };
      extract.on('entry', (header, stream, next) => {
        if (settled) return;
        if (this.entries.length >= this.maxEntries) {
          refuse(
            'ARCHIVE_TOO_MANY_ENTRIES',
            `the archive holds more than ${this.maxEntries} entries (MAX_ARCHIVE_ENTRIES)`,
          );
          return;
        }
        if (header.name.length > MAX_ENTRY_NAME || (header.linkname?.length ?? 0) > MAX_ENTRY_NAME) {
          fail('tar')(new Error(`an entry name is longer than ${MAX_ENTRY_NAME} characters`));
          return;
        }
        this.declaredBytes += (header.size ?? 0) + 512;
        checkUnpacked();
        if (settled) return;
        this.entries.push({
          name: header.name,
          type: header.type ?? 'file',
          mode: header.mode ?? 0,
          size: header.size ?? 0,
          linkname: header.linkname ?? null,
        });
        stream.on('end', () => next());
        stream.on('error', fail('tar'));
        stream.resume();
      });
      extract.on('finish', () => settle());
      extract.on('error', fail('tar'));
      // tar-stream's extract is a streamx Writable: Node's pipe() drives it, its types differ.
      const sink = extract as unknown as Writable;
      // Every byte of tar is counted on its way to the parser (headers, pax records and contents alike).
      const counter = new Transform({
        transform: (chunk: Buffer, _encoding, callback) => {
          this.unpackedBytes += chunk.length;
          checkUnpacked();
          callback(null, settled ? undefined : chunk);
        },
      });
      this.counter = counter;
      if (gzipped) {
        const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
        this.gunzip = gunzip;
        gunzip.on('error', fail('gzip'));
        input.pipe(gunzip).pipe(counter).pipe(sink);
      } else {
        input.pipe(counter).pipe(sink);
      }
    });
  }
}

/** Which stage failed decides the message: the gzip layer, or the tar inside it. */
function describe(stage: 'gzip' | 'tar', message: string, gzipped: boolean, entries: number): string {
  if (stage === 'gzip') {
    return /unexpected end/i.test(message) ? 'the gzip stream ends early (truncated)' : `gzip: ${message}`;
  }
  if (/invalid tar header/i.test(message) || entries === 0) {
    return `${gzipped ? 'the gzip data' : 'the file'} is not a tar archive`;
  }
  return /unexpected end/i.test(message) ? 'the tar ends early (truncated)' : `tar: ${message}`;
}
