import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from '../config/config.js';
import { LocalObjectStore } from './local-object-store.js';
import type { ObjectStore } from './object-store.js';
import { S3ObjectStore } from './s3-object-store.js';

/** The platform bucket when S3 is configured, else files under DATA_DIR/media. */
export function createObjectStore(config: Config): ObjectStore {
  if (config.s3) return new S3ObjectStore(config.s3);
  const signingKey = createHmac('sha256', config.secrets.currentKey).update('switchyard.media-url').digest();
  return new LocalObjectStore(join(config.database.dataDir, 'media'), signingKey);
}
