import type { Writable } from 'node:stream';

/** A mirrored file being written while its digest is checked: kept only when it matches. */
export interface ArtifactSink {
  stream: Writable;
  /** Moves the verified file into place; returns its mirror path (`COMMIT/FILE`). */
  keep(): Promise<string>;
  discard(): Promise<void>;
}

/**
 * The `Artifacts` port (DESIGN: ports and adapters): where build URLs point. Link mode points at GitHub's
 * download URL and stores nothing; mirror mode keeps verified copies, published under the artifacts base
 * URL (the registry's /artifacts route, or a CDN in front of the folder).
 */
export interface Artifacts {
  readonly mode: 'link' | 'mirror';
  readonly description: string;
  /** Where to write a download being verified; undefined in link mode. */
  openSink(commit: string, fileName: string): Promise<ArtifactSink | undefined>;
  /** The file behind a mirror path, or undefined (never outside the mirror folder). */
  locate(commit: string, fileName: string): string | undefined;
}

/** A commit id as GitHub writes it: 40 lowercase hex digits (64 for SHA-256 repositories). */
export const COMMIT_PATTERN = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
