import { once } from 'node:events';
import { PassThrough, type Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import {
  ARCHIVE_SNIFF_BYTES,
  sniffArchiveFormat,
  type ArchiveContent,
  type ArchiveEntryInfo,
  type ArchiveFormat,
} from '../../bonsai-schema/archive-rules.js';

/**
 * Lists a tar (or gzip-wrapped tar) from the chunks of a download as they arrive, so an artifact is read
 * once for its digest and its entries. What the entries mean is bonsai-schema's `archiveDiagnostics`
 * (COMPAT §3); this only reads headers, discarding contents. A corrupt archive never disturbs the
 * download: the lister just stops and reports why.
 */
export class ArchiveLister {
  private head: Buffer[] = [];
  private headSize = 0;
  private format: ArchiveFormat | undefined;
  private input: PassThrough | undefined;
  private finished: Promise<void> = Promise.resolve();
  private readonly entries: ArchiveEntryInfo[] = [];
  private corrupt: string | undefined;

  /** Takes the next chunk of the file; resolves when the parser is ready for more. */
  async write(chunk: Buffer): Promise<void> {
    if (this.format === undefined) {
      this.head.push(chunk);
      this.headSize += chunk.length;
      if (this.headSize >= ARCHIVE_SNIFF_BYTES) await this.start();
      return;
    }
    await this.feed(chunk);
  }

  /** The end of the file: the format, every entry read, and why reading stopped if it did. */
  async end(): Promise<ArchiveContent> {
    if (this.format === undefined) await this.start();
    this.input?.end();
    await this.finished;
    const content: ArchiveContent = { format: this.format!, entries: this.entries };
    if (this.corrupt !== undefined) content.corrupt = this.corrupt;
    return content;
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
    if (!input || this.corrupt !== undefined) return;
    if (!input.write(chunk)) await Promise.race([once(input, 'drain'), this.finished]);
  }

  private list(input: PassThrough, gzipped: boolean): Promise<void> {
    return new Promise((resolve) => {
      const extract = tar.extract();
      let settled = false;
      const stop = (stage: 'gzip' | 'tar') => (err: unknown) => {
        if (settled) return;
        settled = true;
        this.corrupt = describe(
          stage,
          err instanceof Error ? err.message : String(err),
          gzipped,
          this.entries.length,
        );
        input.unpipe();
        input.resume();
        resolve();
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
        stream.on('error', stop('tar'));
        stream.resume();
      });
      extract.on('finish', () => {
        if (settled) return;
        settled = true;
        resolve();
      });
      extract.on('error', stop('tar'));
      // tar-stream's extract is a streamx Writable: Node's pipe() drives it, its types differ.
      const sink = extract as unknown as Writable;
      if (gzipped) {
        const gunzip = createGunzip();
        gunzip.on('error', stop('gzip'));
        input.pipe(gunzip).pipe(sink);
      } else {
        input.pipe(sink);
      }
    });
  }
}

function describe(stage: 'gzip' | 'tar', message: string, gzipped: boolean, entries: number): string {
  if (stage === 'gzip') {
    return /unexpected end/i.test(message) ? 'the gzip stream ends early (truncated)' : `gzip: ${message}`;
  }
  if (/invalid tar header/i.test(message) || entries === 0) {
    return `${gzipped ? 'the gzip data' : 'the file'} is not a tar archive`;
  }
  return /unexpected end/i.test(message) ? 'the tar ends early (truncated)' : `tar: ${message}`;
}
