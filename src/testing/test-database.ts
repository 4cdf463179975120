import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { DatabaseTemplate } from './database-template.js';
import { postgresAdminUrl, withAdminClient } from './postgres-admin.js';

declare module 'vitest' {
  interface ProvidedContext {
    /** Set by the global set-up (`test-run-setup.ts`) for the project's database kind. */
    databaseTemplate?: DatabaseTemplate;
  }
}

/** Which database the suite runs on: set per vitest project (`pglite` or `postgres`). */
export const testDatabaseKind = (process.env.TEST_DB ?? 'pglite') as 'pglite' | 'postgres';

export { postgresAdminUrl, withAdminClient } from './postgres-admin.js';

export interface TestDatabase {
  /** Set on the Postgres server; unset means the embedded PGlite under `dataDir`. */
  url?: string;
  dataDir: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one test: a new database on the server, or a new PGlite directory. */
export function createTestDatabase(kind = testDatabaseKind): Promise<TestDatabase> {
  return openTestDatabase(kind);
}

/**
 * A fresh database with the platform schema already migrated, copied from the run's template
 * (see `database-template.ts`); an empty one when the run has no template of this kind.
 */
export function createMigratedTestDatabase(kind = testDatabaseKind): Promise<TestDatabase> {
  const template = inject('databaseTemplate');
  return openTestDatabase(kind, template?.kind === kind ? template : undefined);
}

async function openTestDatabase(
  kind: 'pglite' | 'postgres',
  template?: DatabaseTemplate,
): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (kind === 'pglite') {
    if (template?.kind === 'pglite') cpSync(template.pgliteDir, join(dataDir, 'pglite'), { recursive: true });
    return { dataDir, drop: async () => removeDir() };
  }

  const name = `switchyard_test_${randomBytes(6).toString('hex')}`;
  const from = template?.kind === 'postgres' ? ` template ${template.name}` : '';
  await withAdminClient((client) => client.query(`create database ${name}${from}`));
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    dataDir,
    drop: async () => {
      removeDir();
      await withAdminClient((client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}
