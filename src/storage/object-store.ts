/** Where media and other files live: S3/R2 in production, the local disk by default. */
export interface ObjectStore {
  readonly kind: 's3' | 'local';
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** The object's bytes, or null when there is no such key. */
  get(key: string): Promise<Buffer | null>;
  delete(key: string): Promise<void>;
  /** A URL that lets anyone holding it GET the object until it expires. */
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
}

const segmentPattern = /^[\w.@+=-]+$/;

/** `tenants/<code>/<part>/<part>...`; each part is one safe path segment. */
export function tenantKey(clientCode: string, ...parts: string[]): string {
  for (const part of [clientCode, ...parts]) {
    if (!segmentPattern.test(part) || part === '.' || part === '..') {
      throw new Error(`Invalid object key segment: ${JSON.stringify(part)}`);
    }
  }
  return ['tenants', clientCode, ...parts].join('/');
}

/** Turns a provider's file name into one safe key segment. */
export function safeFileName(name: string): string {
  const cleaned = name.replace(/[^\w.@+=-]+/g, '_').replace(/^\.+/, '');
  return cleaned.slice(-120) || 'file';
}
