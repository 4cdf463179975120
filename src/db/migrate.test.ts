import { sql, type Kysely } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import type { DatabaseServer } from './database-server.js';
import {
  liveDefinition,
  loadLiveDefinitions,
  loadMigrations,
  migrateSchema,
  type Migration,
  type SchemaChanges,
  type SchemaKind,
} from './migrate.js';
import { openPGliteServer } from './pglite-server.js';
import { openPostgresServer } from './postgres-server.js';

/** `create or replace function <schema>.<name>(…)` text of every function in `schema`, schema name blanked. */
async function functionDefinitions(db: Kysely<any>, schema: string): Promise<Record<string, string>> {
  const { rows } = await sql<{ name: string; definition: string }>`
    select p.proname as name, pg_get_functiondef(p.oid) as definition
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = ${schema} order by p.proname`.execute(db);
  return Object.fromEntries(rows.map((row) => [row.name, row.definition.replaceAll(schema, '<schema>')]));
}

async function appliedDefinitions(db: Kysely<any>, schema: string) {
  const { rows } = await sql<{ name: string; hash: string }>`
    select name, hash from ${sql.id(schema, 'schema_functions')} order by name`.execute(db);
  return rows;
}

const logTable: Migration = {
  version: 1,
  name: 'applied_log',
  sql: 'create table applied_log (answer integer)',
};

/** A `probe()` answering `answer`, whose definition logs each time it is applied, so a test can count. */
function probeChanges(answer: number): SchemaChanges {
  const probe = liveDefinition(
    'probe',
    `create or replace function probe() returns integer language sql as $$ select ${answer} $$;
     select pg_sleep(0.1);
     insert into applied_log (answer) values (${answer});`,
  );
  return { migrations: [logTable], definitions: [probe] };
}

describe('migrateSchema: live definitions', () => {
  let database: TestDatabase;
  let server: DatabaseServer;
  let db: Kysely<any>;
  beforeAll(async () => {
    database = await createTestDatabase();
    server = database.url
      ? openPostgresServer(database.url, { poolMax: 4, logger: pino({ level: 'silent' }) })
      : await openPGliteServer(database.dataDir);
    db = server.db;
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it('gives a fresh platform schema the queue functions of src/queue/sql, and records their hashes', async () => {
    const definitions = loadLiveDefinitions('platform');
    expect(definitions.map((d) => d.name)).toEqual(['claim_jobs', 'complete_jobs', 'enqueue_jobs']);
    const applied = await migrateSchema(db, 'platform', {
      migrations: loadMigrations('platform'),
      definitions,
    });
    expect(applied).toBe(loadMigrations('platform').length + definitions.length);

    expect(Object.keys(await functionDefinitions(db, 'platform'))).toEqual(definitions.map((d) => d.name));
    expect(await appliedDefinitions(db, 'platform')).toEqual(
      definitions.map(({ name, hash }) => ({ name, hash })),
    );
    expect(await migrateSchema(db, 'platform', { migrations: loadMigrations('platform'), definitions })).toBe(
      0,
    );
  });

  it.each<SchemaKind>(['platform', 'tenant'])(
    'ends a fresh %s schema and one migrated before live definitions existed with the same functions',
    async (kind) => {
      const migrations = loadMigrations(kind);
      const definitions = loadLiveDefinitions(kind);
      const [fresh, upgraded] = [`${kind}_fresh`, `${kind}_upgraded`];
      await migrateSchema(db, fresh, { migrations, definitions });
      // The older runner: migrations only, no schema_functions table; one migration still to come.
      await migrateSchema(db, upgraded, { migrations: migrations.slice(0, -1), definitions: [] });
      await sql`drop table ${sql.id(upgraded, 'schema_functions')}`.execute(db);
      expect(await migrateSchema(db, upgraded, { migrations, definitions })).toBe(1 + definitions.length);

      const freshFunctions = await functionDefinitions(db, fresh);
      expect(Object.keys(freshFunctions)).toEqual(expect.arrayContaining(definitions.map((d) => d.name)));
      expect(await functionDefinitions(db, upgraded)).toEqual(freshFunctions);
      expect(await appliedDefinitions(db, upgraded)).toEqual(await appliedDefinitions(db, fresh));
    },
  );

  it('reapplies a definition once when its content changes, and nothing when it does not', async () => {
    const schema = 'changing';
    const probe = async () =>
      (await sql<{ answer: number }>`select ${sql.id(schema, 'probe')}() as answer`.execute(db)).rows[0]!
        .answer;
    const log = async () =>
      (
        await sql<{ answer: number }>`select answer from ${sql.id(schema, 'applied_log')}`.execute(db)
      ).rows.map((row) => row.answer);

    expect(await migrateSchema(db, schema, probeChanges(1))).toBe(2);
    expect(await migrateSchema(db, schema, probeChanges(1))).toBe(0);
    expect(await probe()).toBe(1);

    expect(await migrateSchema(db, schema, probeChanges(2))).toBe(1);
    expect(await migrateSchema(db, schema, probeChanges(2))).toBe(0);
    expect(await probe()).toBe(2);
    expect(await log()).toEqual([1, 2]);
  });

  it('reapplies the definitions after a migration, which may have dropped what they define', async () => {
    const schema = 'dropping';
    await migrateSchema(db, schema, probeChanges(1));
    const dropProbe: Migration = { version: 2, name: 'drop_probe', sql: 'drop function probe()' };
    expect(await migrateSchema(db, schema, { ...probeChanges(1), migrations: [logTable, dropProbe] })).toBe(
      2,
    );
    const { rows } = await sql<{ answer: number }>`select ${sql.id(schema, 'probe')}() as answer`.execute(db);
    expect(rows[0]!.answer).toBe(1);
  });

  it('applies a changed definition once when two migrators start at the same time', async () => {
    const schema = 'racing';
    await migrateSchema(db, schema, probeChanges(1));
    const applied = await Promise.all([
      migrateSchema(db, schema, probeChanges(2)),
      migrateSchema(db, schema, probeChanges(2)),
    ]);
    expect(applied.sort()).toEqual([0, 1]);
    const { rows } = await sql<{
      answer: number;
    }>`select answer from ${sql.id(schema, 'applied_log')}`.execute(db);
    expect(rows.map((row) => row.answer)).toEqual([1, 2]);
  });
});
