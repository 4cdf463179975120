import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface GeneratedSecrets {
  file: string;
  secretsKey: string;
  platformAdminToken: string;
}

/**
 * Development-only secrets, created once per data directory so restarts keep decrypting
 * what earlier runs stored. Creation uses O_EXCL: when two processes start at once, one
 * writes and the other reads what it wrote.
 */
export function loadGeneratedSecrets(dataDir: string): GeneratedSecrets {
  const dir = resolve(dataDir);
  const file = join(dir, 'generated-secrets.json');
  mkdirSync(dir, { recursive: true });
  const fresh = {
    secretsKey: randomBytes(32).toString('base64'),
    platformAdminToken: randomBytes(24).toString('base64url'),
  };
  try {
    writeFileSync(file, JSON.stringify(fresh, null, 2), { flag: 'wx', mode: 0o600 });
    return { file, ...fresh };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as Omit<GeneratedSecrets, 'file'>;
      return { file, secretsKey: stored.secretsKey, platformAdminToken: stored.platformAdminToken };
    } catch (error) {
      // The other process may still be writing the file it just created.
      if (attempt >= 50 || !(error instanceof SyntaxError)) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}
