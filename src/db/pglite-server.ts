import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely } from 'kysely';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DatabaseServer } from './database-server.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { PGliteDialect } from './pglite-dialect.js';

/**
 * Opens the embedded database under `<dataDir>/pglite`. PGlite neither creates parent
 * directories nor locks its directory (two instances on one directory silently diverge),
 * so this process takes an exclusive lock file first and fails clearly if it is held.
 */
export async function openPGliteServer(dataDir: string): Promise<DatabaseServer> {
  const root = resolve(dataDir);
  mkdirSync(root, { recursive: true });
  const lock = acquireDataDirLock(root);
  try {
    const pglite = await PGlite.create(resolve(root, 'pglite'), {
      extensions: { pg_trgm },
      parsers: { 20: (value: string) => Number(value) },
    });
    const db = new Kysely<any>({ dialect: new PGliteDialect(pglite) });
    return {
      kind: 'pglite',
      label: `pglite:${root}`,
      db,
      async listen(channel, onPayload) {
        const unlisten = await pglite.listen(channel, onPayload);
        return () => unlisten();
      },
      async close() {
        try {
          await db.destroy();
          await pglite.close();
        } finally {
          lock.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
