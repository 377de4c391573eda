import type { Writable } from 'node:stream';

/** The bytes written to a sink, as measured while they were written. */
export interface WrittenBytes {
  /** Lowercase hex. */
  sha512: string;
  size: number;
}

/**
 * A mirrored file being written while its digest is checked. Mirrored files are served as immutable, so a
 * path never gets other bytes: the caller compares with what the mirror holds, then publishes only after
 * the version that points at the file is saved.
 */
export interface ArtifactSink {
  stream: Writable;
  /** Its path in the mirror (`COMMIT/FILE`), the tail of its build URL. */
  readonly mirrorPath: string;
  /** What the mirror already holds at that path: nothing, these very bytes, or other bytes. */
  compare(written: WrittenBytes): Promise<'absent' | 'same' | 'different'>;
  /** Moves the written file to its path, never over another file (ARTIFACTS_FAILED if one appeared). */
  publish(written: WrittenBytes): Promise<void>;
  /** Removes the written file: it is not published. */
  discard(): Promise<void>;
}

/**
 * The `Artifacts` port (DESIGN: ports and adapters): where build URLs point. Link mode points at GitHub's
 * download URL and stores nothing; mirror mode keeps verified copies, published under the artifacts base
 * URL (the registry's /artifacts route, or a CDN in front of the folder).
 */
export interface Artifacts {
  readonly mode: 'link' | 'mirror' | 's3';
  readonly description: string;
  /** Where to write a download being verified; undefined in link mode. */
  openSink(commit: string, fileName: string): Promise<ArtifactSink | undefined>;
  /** The file behind a mirror path, or undefined (never outside the mirror folder). */
  locate(commit: string, fileName: string): string | undefined;
  /**
   * The bytes stored at a mirror path (`COMMIT/FILE`), or undefined when nothing is there: what
   * `bonsai registry artifacts verify` re-reads. Link mode stores nothing, so it holds nothing at any path.
   */
  read(mirrorPath: string): Promise<AsyncIterable<Uint8Array> | undefined>;
  /** s3 mode: a short-lived presigned URL of a stored object, or undefined when there is none. */
  redirect?(commit: string, fileName: string): Promise<string | undefined>;
  /** Releases its connections (the S3 client's keep-alive sockets). */
  close?(): void;
}

/** A commit id as GitHub writes it: 40 lowercase hex digits (64 for SHA-256 repositories). */
export const COMMIT_PATTERN = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
