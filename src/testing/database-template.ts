import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { loadSchemaChanges, migrateSchema } from '../db/migrate.js';
import { platformSchema } from '../db/platform-database.js';
import { openPGliteServer } from '../db/pglite-server.js';
import { openPostgresServer } from '../db/postgres-server.js';
import { createLogger } from '../logging/logger.js';
import { postgresAdminUrl, withAdminClient } from './postgres-admin.js';

/**
 * A database with the platform schema migrated, made once per test run, that every test app
 * starts from: a PGlite directory to copy (a fresh PGlite directory costs an initdb, 2-10 s)
 * or a Postgres database to clone with `create database … template`. The app still runs its
 * migrations on start; they find nothing pending, so a test exercises the same code.
 */
export type DatabaseTemplate = { kind: 'pglite'; pgliteDir: string } | { kind: 'postgres'; name: string };

export async function createDatabaseTemplate(kind: 'pglite' | 'postgres'): Promise<{
  template: DatabaseTemplate;
  drop(): Promise<void>;
}> {
  if (kind === 'pglite') {
    const root = mkdtempSync(join(tmpdir(), 'switchyard-template-'));
    const server = await openPGliteServer(root);
    await migratePlatform(server.db).finally(() => server.close());
    return {
      template: { kind, pgliteDir: join(root, 'pglite') },
      drop: async () => rmSync(root, { recursive: true, force: true }),
    };
  }
  const name = `switchyard_template_${randomBytes(6).toString('hex')}`;
  await withAdminClient((client) => client.query(`create database ${name}`));
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  const server = openPostgresServer(url.toString(), {
    poolMax: 1,
    logger: createLogger({ level: 'silent' }),
  });
  await migratePlatform(server.db).finally(() => server.close());
  return {
    template: { kind, name },
    drop: async () => {
      await withAdminClient((client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

async function migratePlatform(db: Kysely<any>): Promise<void> {
  await migrateSchema(db, platformSchema, loadSchemaChanges('platform'));
}
