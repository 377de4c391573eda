import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { PassThrough, Writable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { releaseFileNameProblem } from '../../bonsai-schema/file-names.js';
import { RegistryError } from '../errors.js';
import { digestOf } from './digest.js';
import { COMMIT_PATTERN, type Artifacts, type ArtifactSink, type WrittenBytes } from './port.js';

export interface S3Settings {
  bucket: string;
  /** Without leading or trailing slashes; '' for the bucket's root. */
  prefix: string;
  region: string;
  endpoint: string | undefined;
  /**
   * Where clients reach the bucket, when not at `endpoint` (S3_PUBLIC_ENDPOINT: MinIO's published port, while
   * the registry talks to it on the compose network). Presigned redirects are signed for this host.
   */
  publicEndpoint?: string | undefined;
  forcePathStyle: boolean;
}

/** Objects are immutable per commit: clients and CDNs may keep them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** How long a presigned redirect of /artifacts/COMMIT/FILE stays valid. */
export const PRESIGN_SECONDS = 300;
/** Multipart parts: S3's minimum is 5 MiB; two in flight bound the memory an upload holds. */
const PART_SIZE = 8 * 1024 * 1024;
/** Who uploads a partial object, so an operator can tell (and a lifecycle rule can expire) leftovers. */
const OWNER = `${hostname().replace(/[^A-Za-z0-9-]/g, '_')}.${process.pid}`;

interface Held {
  size: number;
  sha512: string | undefined;
}

/**
 * Verified copies in an S3-compatible bucket under `PREFIX/COMMIT/FILE` (Bonsai's CDN layout). A download is
 * uploaded (multipart, streaming) to `PREFIX/.partial/` while it is hashed; once its version is saved it is
 * copied to its key with the sha512 as metadata, and never over an object already there, so a URL's bytes
 * never change. Credentials come from the standard AWS chain (environment, profile, instance role).
 */
export function createS3Artifacts(settings: S3Settings, publicBase: string): Artifacts {
  const { bucket } = settings;
  const client = new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    maxAttempts: 3,
    // A store that cannot be reached fails the version quickly instead of hanging the job.
    requestHandler: { connectionTimeout: 5000, requestTimeout: 60_000 },
  });
  // A signature covers the host, so a URL for clients is signed by a client of their endpoint. Presigning
  // sends nothing: this client never opens a connection.
  const signer =
    settings.publicEndpoint === undefined
      ? client
      : new S3Client({
          region: settings.region,
          endpoint: settings.publicEndpoint,
          forcePathStyle: settings.forcePathStyle,
        });
  const keyOf = (rest: string) => (settings.prefix ? `${settings.prefix}/${rest}` : rest);
  const where = `s3://${bucket}/${settings.prefix}${settings.endpoint ? ` at ${settings.endpoint}` : ''}`;
  const failed = (action: string, key: string, err: unknown) =>
    err instanceof RegistryError
      ? err
      : new RegistryError(
          'ARTIFACT_STORE_FAILED',
          `cannot ${action} s3://${bucket}/${key}${settings.endpoint ? ` at ${settings.endpoint}` : ''}: ${describe(err)}`,
          { cause: err },
        );
  const valid = (commit: string, fileName: string) =>
    COMMIT_PATTERN.test(commit) && releaseFileNameProblem(fileName) === undefined;

  async function head(key: string): Promise<Held | undefined> {
    try {
      const res = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { size: res.ContentLength ?? -1, sha512: res.Metadata?.sha512 };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw failed('read', key, err);
    }
  }

  /** Whether the object at `key` is absent, holds exactly the bytes described, or other bytes. */
  async function holds(key: string, written: WrittenBytes): Promise<'absent' | 'same' | 'different'> {
    const held = await head(key);
    if (!held) return 'absent';
    if (held.size !== written.size) return 'different';
    // An object put there by another tool carries no digest: its bytes are read.
    if (held.sha512 !== undefined) return held.sha512 === written.sha512 ? 'same' : 'different';
    const bytes = await get(key);
    // Removed since it was looked at: nothing is there now.
    if (!bytes) return 'absent';
    const read = await digestOf(bytes).catch((err: unknown) => {
      throw failed('read', key, err);
    });
    return read.sha512 === written.sha512 ? 'same' : 'different';
  }

  /** The bytes of the object at `key`, or undefined when there is none. */
  async function get(key: string): Promise<AsyncIterable<Uint8Array> | undefined> {
    try {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return res.Body as AsyncIterable<Uint8Array>;
    } catch (err) {
      // A missing key is a finding; a missing bucket is a store that cannot answer.
      if (statusOf(err) === 404 && (err as Error).name !== 'NoSuchBucket') return undefined;
      throw failed('read', key, err);
    }
  }

  async function remove(key: string): Promise<void> {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
  }

  return {
    mode: 's3',
    description:
      `s3 ${where}, published at ${publicBase}` +
      (settings.publicEndpoint ? ` (redirects signed for ${settings.publicEndpoint})` : ''),
    locate: () => undefined,
    close: () => {
      client.destroy();
      if (signer !== client) signer.destroy();
    },
    read: (mirrorPath) => get(keyOf(mirrorPath)),
    async redirect(commit, fileName) {
      if (!valid(commit, fileName)) return undefined;
      const key = keyOf(`${commit}/${fileName}`);
      if (!(await head(key))) return undefined;
      return getSignedUrl(signer, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        expiresIn: PRESIGN_SECONDS,
      });
    },
    async openSink(commit, fileName): Promise<ArtifactSink> {
      if (!valid(commit, fileName)) {
        throw new RegistryError(
          'ARTIFACTS_FAILED',
          `cannot mirror ${JSON.stringify(fileName)} of ${commit}`,
          {
            hint: 'release file names must be plain file names',
          },
        );
      }
      const mirrorPath = `${commit}/${fileName}`;
      const key = keyOf(mirrorPath);
      const held = await head(key);
      if (held) {
        // Written once: the bytes are only compared with what the bucket holds, never uploaded again.
        return {
          stream: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
          mirrorPath,
          compare: (written) => holds(key, written),
          publish: async () => {
            throw new RegistryError('ARTIFACTS_FAILED', `cannot publish ${mirrorPath} in ${where}`, {
              hint: 'the object was removed while it was being compared; sync again',
            });
          },
          discard: async () => undefined,
        };
      }
      const temp = keyOf(`.partial/${OWNER}.${randomUUID()}`);
      const body = new PassThrough();
      const upload = new Upload({
        client,
        queueSize: 2,
        partSize: PART_SIZE,
        leavePartsOnError: false,
        params: { Bucket: bucket, Key: temp, Body: body, ContentType: contentTypeOf(fileName) },
      });
      // A failing upload fails the download it is fed by (the pipeline would otherwise wait on it).
      const uploaded = upload.done().then(
        () => undefined,
        (err: unknown) => {
          const coded = failed('upload', key, err);
          body.destroy(coded);
          throw coded;
        },
      );
      uploaded.catch(() => undefined);
      return {
        stream: body,
        mirrorPath,
        async compare(written) {
          await uploaded;
          return holds(key, written);
        },
        async publish(written) {
          await uploaded;
          try {
            const now = await holds(key, written);
            if (now === 'different') {
              throw new RegistryError('ARTIFACTS_FAILED', `cannot publish ${mirrorPath} in ${where}`, {
                hint: 'another object took its place meanwhile; the served copy was left as it was',
              });
            }
            if (now === 'absent') {
              await client
                .send(
                  new CopyObjectCommand({
                    Bucket: bucket,
                    Key: key,
                    CopySource: `${bucket}/${temp.split('/').map(encodeURIComponent).join('/')}`,
                    MetadataDirective: 'REPLACE',
                    ContentType: contentTypeOf(fileName),
                    CacheControl: IMMUTABLE,
                    Metadata: { sha512: written.sha512 },
                  }),
                )
                .catch((err: unknown) => {
                  throw failed('publish', key, err);
                });
            }
          } finally {
            await remove(temp);
          }
        },
        async discard() {
          // A body written whole is left to finish uploading (an abort does not stop a request in flight,
          // which would then land after the removal); one cut short is aborted.
          if (!body.writableFinished) {
            body.destroy();
            await upload.abort().catch(() => undefined);
          }
          await uploaded.catch(() => undefined);
          await remove(temp);
        },
      };
    },
  };
}

function contentTypeOf(fileName: string): string {
  if (/\.(tar\.gz|tgz)$/.test(fileName)) return 'application/gzip';
  if (fileName.endsWith('.txt')) return 'text/plain; charset=utf-8';
  return 'application/octet-stream';
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** The S3 error's name and message (never credentials: the SDK does not put them in errors). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const status = statusOf(err);
  const code = (err as { code?: string }).code;
  const what = err.name && err.name !== 'Error' ? err.name : (code ?? 'Error');
  return `${what}${status ? ` (HTTP ${status})` : ''}${err.message && err.message !== what ? `: ${err.message}` : ''}`;
}
