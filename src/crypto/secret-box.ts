import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface SealedSecret {
  /** Identifies the key that sealed it: the first 8 bytes of the key's SHA-256, hex. */
  keyId: string;
  /** base64(iv ‖ auth tag ‖ ciphertext) */
  ciphertext: string;
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/**
 * AES-256-GCM envelope. Seals with the current key; opens with whichever known key sealed
 * it, so SECRETS_KEY can be rotated: old keys stay readable from SECRETS_KEYS_PREVIOUS
 * until `pnpm tenant rotate-secrets-key` has re-sealed everything under the new key.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  constructor(
    private readonly currentKey: Buffer,
    previousKeys: Buffer[] = [],
  ) {
    this.currentKeyId = keyIdOf(currentKey);
    for (const key of [currentKey, ...previousKeys]) this.keys.set(keyIdOf(key), key);
  }

  seal(plaintext: string, associatedData: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.currentKey, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      keyId: this.currentKeyId,
      ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64'),
    };
  }

  open(sealed: SealedSecret, associatedData: string): string {
    const key = this.keys.get(sealed.keyId);
    if (!key) {
      throw new Error(
        `Secret sealed with unknown key ${sealed.keyId}: add that key to SECRETS_KEYS_PREVIOUS`,
      );
    }
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}
