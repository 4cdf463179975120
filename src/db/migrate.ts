import { sql, type Kysely } from 'kysely';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type SchemaKind = 'platform' | 'tenant';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The current definition of one database function, kept in one re-runnable file
 * (`create or replace function …`) so a reader finds it without diffing migrations.
 */
export interface LiveDefinition {
  name: string;
  sql: string;
  hash: string;
}

const srcRoot = join(import.meta.dirname, '..');
const migrationsRoot = join(import.meta.dirname, 'migrations');
/** Folders (under `src/`) of each schema kind's live definitions, one `<function>.sql` per operation. */
const liveDefinitionDirs: Record<SchemaKind, string[]> = {
  platform: ['queue/sql'],
  tenant: ['automations/sql'],
};
const loadedMigrations = new Map<SchemaKind, Migration[]>();
const loadedDefinitions = new Map<SchemaKind, LiveDefinition[]>();

/** Numbered SQL files (`000001_name.sql`) of one migration set: `platform` or `tenant`. */
export function loadMigrations(set: SchemaKind): Migration[] {
  const cached = loadedMigrations.get(set);
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
  loadedMigrations.set(set, migrations);
  return migrations;
}

/** The live definitions of a schema kind, from `liveDefinitionDirs`. */
export function loadLiveDefinitions(set: SchemaKind): LiveDefinition[] {
  const cached = loadedDefinitions.get(set);
  if (cached) return cached;
  const definitions = liveDefinitionDirs[set].flatMap((folder) => {
    const dir = join(srcRoot, folder);
    return readdirSync(dir)
      .filter((file) => file.endsWith('.sql'))
      .sort()
      .map((file) => liveDefinition(file.slice(0, -4), readFileSync(join(dir, file), 'utf8')));
  });
  const names = new Set<string>();
  for (const { name } of definitions) {
    if (names.has(name)) throw new Error(`Two ${set} live definitions are named ${name}`);
    names.add(name);
  }
  loadedDefinitions.set(set, definitions);
  return definitions;
}

/** What brings a schema of this kind up to date: its migrations, then its live definitions. */
export interface SchemaChanges {
  migrations: Migration[];
  definitions: LiveDefinition[];
}

export function loadSchemaChanges(set: SchemaKind): SchemaChanges {
  return { migrations: loadMigrations(set), definitions: loadLiveDefinitions(set) };
}

export function liveDefinition(name: string, text: string): LiveDefinition {
  return { name, sql: text, hash: createHash('sha256').update(text).digest('hex') };
}

/**
 * Brings `schema` up to date: its pending migrations, then its live definitions (all of them
 * after any migration, since a migration may drop what they define; otherwise those whose
 * content changed, tracked by hash in `<schema>.schema_functions`). Migrations run unqualified
 * with `search_path` set to the schema, in one transaction under a server-wide advisory lock,
 * so concurrent first requests and several processes apply each change once, and tenant
 * schemas created at the same time do not race on shared objects such as extensions. The fast
 * path (all applied) takes no lock: two cheap queries. Answers how many migrations and
 * definitions it applied.
 */
export async function migrateSchema(
  db: Kysely<any>,
  schema: string,
  { migrations, definitions }: SchemaChanges,
): Promise<number> {
  const pendingOf = (state: AppliedState) => {
    const pendingMigrations = migrations.filter((m) => !state.versions.has(m.version));
    const pendingDefinitions =
      pendingMigrations.length > 0
        ? definitions
        : definitions.filter((d) => state.hashes.get(d.name) !== d.hash);
    return { pendingMigrations, pendingDefinitions };
  };
  const upToDate = pendingOf(await appliedState(db, schema));
  if (upToDate.pendingMigrations.length + upToDate.pendingDefinitions.length === 0) return 0;

  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('switchyard.migrate'))`.execute(trx);
    await sql`create schema if not exists ${sql.id(schema)}`.execute(trx);
    await sql`create table if not exists ${sql.id(schema, 'schema_migrations')} (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`.execute(trx);
    await sql`create table if not exists ${sql.id(schema, 'schema_functions')} (
      name text primary key,
      hash text not null,
      applied_at timestamptz not null default now()
    )`.execute(trx);
    const { pendingMigrations, pendingDefinitions } = pendingOf(await appliedState(trx, schema));
    await sql`select set_config('search_path', ${`${quoteIdent(schema)}, public`}, true)`.execute(trx);
    for (const migration of pendingMigrations) {
      await sql.raw(migration.sql).execute(trx);
      await sql`insert into ${sql.id(schema, 'schema_migrations')} (version, name)
        values (${migration.version}, ${migration.name})`.execute(trx);
    }
    for (const definition of pendingDefinitions) {
      await sql.raw(definition.sql).execute(trx);
      await sql`insert into ${sql.id(schema, 'schema_functions')} (name, hash)
        values (${definition.name}, ${definition.hash})
        on conflict (name) do update set hash = excluded.hash, applied_at = now()`.execute(trx);
    }
    return pendingMigrations.length + pendingDefinitions.length;
  });
}

interface AppliedState {
  versions: Set<number>;
  /** Live definition name → hash of the content last applied. */
  hashes: Map<string, string>;
}

async function appliedState(db: Kysely<any>, schema: string): Promise<AppliedState> {
  const state: AppliedState = { versions: new Set(), hashes: new Map() };
  const tables = await sql<{ migrations: boolean; functions: boolean }>`
    select to_regclass(${`${quoteIdent(schema)}.schema_migrations`}) is not null as migrations,
      to_regclass(${`${quoteIdent(schema)}.schema_functions`}) is not null as functions`.execute(db);
  const { migrations, functions } = tables.rows[0]!;
  if (!migrations) return state;
  // Schemas migrated before live definitions existed have no schema_functions table yet.
  const rows = await sql<{ version: number | null; name: string | null; hash: string | null }>`
    select version, null as name, null as hash from ${sql.id(schema, 'schema_migrations')}
    ${functions ? sql`union all select null, name, hash from ${sql.id(schema, 'schema_functions')}` : sql``}
  `.execute(db);
  for (const row of rows.rows) {
    if (row.version !== null) state.versions.add(row.version);
    else state.hashes.set(row.name!, row.hash!);
  }
  return state;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
