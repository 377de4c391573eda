import path from 'node:path';
import type { RegistryConfig } from '../config.js';
import { readMirrored } from './mirror.js';
import type { Artifacts } from './port.js';
import { createS3Artifacts } from './s3.js';

/** The store a verb reads or fills: what `serve` writes to with the same settings, without starting it. */
export type ArtifactStore = Pick<Artifacts, 'description' | 'read' | 'openSink' | 'close'>;

/** The folder of mirror mode, read only (nothing is created or cleaned up in it). */
export function mirrorFolderStore(config: Pick<RegistryConfig, 'dataDir'>): ArtifactStore {
  const dir = path.join(config.dataDir, 'artifacts');
  return {
    description: `the folder ${dir}`,
    read: (mirrorPath) => readMirrored(dir, mirrorPath),
    openSink: async () => undefined,
  };
}

/** The bucket of s3 mode; undefined when S3_BUCKET is not set. */
export function bucketStore(config: Pick<RegistryConfig, 's3'>): ArtifactStore | undefined {
  const s3 = config.s3;
  if (!s3) return undefined;
  const store = createS3Artifacts(s3, '');
  return {
    ...store,
    description: `s3://${s3.bucket}/${s3.prefix}${s3.endpoint ? ` at ${s3.endpoint}` : ''}`,
    openSink: store.openSink.bind(store),
  };
}

/** The store ARTIFACTS_MODE names: the folder, the bucket, or none (link mode stores nothing). */
export function configuredStore(config: Pick<RegistryConfig, 'artifactsMode' | 'dataDir' | 's3'>) {
  if (config.artifactsMode === 'mirror') return mirrorFolderStore(config);
  if (config.artifactsMode === 's3') return bucketStore(config);
  return undefined;
}
