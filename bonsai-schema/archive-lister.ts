import { once } from 'node:events';
import { PassThrough, type Writable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import tar from 'tar-stream';
import {
  ARCHIVE_SNIFF_BYTES,
  sniffArchiveFormat,
  type ArchiveContent,
  type ArchiveEntryInfo,
  type ArchiveFormat,
} from './archive-rules.js';

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
  private extract: ReturnType<typeof tar.extract> | undefined;
  /** Resolves when the parsers stopped: the tar ended, was found corrupt, or the lister was destroyed. */
  private finished: Promise<void> = Promise.resolve();
  private stop: (() => void) | undefined;
  private readonly entries: ArchiveEntryInfo[] = [];
  private corrupt: string | undefined;
  private destroyed = false;

  /** Takes the next bytes of the file; resolves when the parser is ready for more. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.destroyed) return;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
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
    if (this.corrupt === undefined) this.input?.end();
    await this.finished;
    this.release();
    const content: ArchiveContent = { format: this.format!, entries: this.entries };
    if (this.corrupt !== undefined) content.corrupt = this.corrupt;
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
    if (!input || this.corrupt !== undefined || this.destroyed) return;
    if (!input.write(chunk)) await Promise.race([once(input, 'drain'), this.finished]);
  }

  /** Destroys every stream still open: gunzip holds a native zlib handle until then. */
  private release(): void {
    this.input?.destroy();
    this.gunzip?.destroy();
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
      extract.on('entry', (header, stream, next) => {
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
      if (gzipped) {
        const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
        this.gunzip = gunzip;
        gunzip.on('error', fail('gzip'));
        input.pipe(gunzip).pipe(sink);
      } else {
        input.pipe(sink);
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
