import { sql, type Kysely } from 'kysely';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const migrationsRoot = join(import.meta.dirname, 'migrations');
const loaded = new Map<string, Migration[]>();

/** Numbered SQL files (`000001_name.sql`) of one migration set: `platform` or `tenant`. */
export function loadMigrations(set: 'platform' | 'tenant'): Migration[] {
  const cached = loaded.get(set);
  if (cached) return cached;
  const dir = join(migrationsRoot, set);
  const migrations = readdirSync(dir)
    .filter((file) => /^\d{6}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 6)),
      name: file.slice(7, -4),
      sql: readFileSync(join(dir, file), 'utf8'),
    }));
  migrations.forEach((migration, index) => {
    if (index > 0 && migration.version === migrations[index - 1]!.version) {
      throw new Error(`Two ${set} migrations share version ${migration.version}`);
    }
  });
  loaded.set(set, migrations);
  return migrations;
}

/**
 * Brings `schema` up to date. Migrations run unqualified with `search_path` set to the
 * schema, in one transaction under a server-wide advisory lock, so concurrent first
 * requests and several processes apply each migration once, and tenant schemas created at
 * the same time do not race on shared objects such as extensions. The fast path (all
 * applied) takes no lock.
 */
export async function migrateSchema(
  db: Kysely<any>,
  schema: string,
  migrations: Migration[],
): Promise<number> {
  const isPending = (applied: Set<number>) => migrations.filter((m) => !applied.has(m.version));
  if (isPending(await appliedVersions(db, schema)).length === 0) return 0;

  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('switchyard.migrate'))`.execute(trx);
    await sql`create schema if not exists ${sql.id(schema)}`.execute(trx);
    await sql`create table if not exists ${sql.id(schema, 'schema_migrations')} (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`.execute(trx);
    const pending = isPending(await appliedVersions(trx, schema));
    await sql`select set_config('search_path', ${`${quoteIdent(schema)}, public`}, true)`.execute(trx);
    for (const migration of pending) {
      await sql.raw(migration.sql).execute(trx);
      await sql`insert into ${sql.id(schema, 'schema_migrations')} (version, name)
        values (${migration.version}, ${migration.name})`.execute(trx);
    }
    return pending.length;
  });
}

async function appliedVersions(db: Kysely<any>, schema: string): Promise<Set<number>> {
  const table = await sql<{ exists: boolean }>`
    select to_regclass(${`${quoteIdent(schema)}.schema_migrations`}) is not null as exists`.execute(db);
  if (!table.rows[0]?.exists) return new Set();
  const result = await sql<{ version: number }>`
    select version from ${sql.id(schema, 'schema_migrations')}`.execute(db);
  return new Set(result.rows.map((row) => row.version));
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
