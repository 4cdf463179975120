import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations } from '../db/migrate.js';
import { findTenantByCode } from './tenant-registry.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { createTestDatabase, testDatabaseKind, type TestDatabase } from '../testing/test-database.js';

describe('tenant connection manager', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ MAX_CACHED_TENANTS: '2' });
  });
  afterAll(() => t?.close());

  it('migrates a new tenant once under concurrent first requests', async () => {
    const { services } = t.app;
    // Create the row without provisioning, so the first requests find an unmigrated tenant.
    const row = await services.platform
      .insertInto('tenants')
      .values({ client_code: 'coldstart', name: 'Cold start' })
      .returningAll()
      .executeTakeFirstOrThrow();
    const tenant = (await findTenantByCode(services.platform, 'coldstart'))!;
    const handles = await Promise.all(Array.from({ length: 20 }, () => services.connections.resolve(tenant)));
    expect(new Set(handles).size).toBe(1);
    expect(handles[0]!.schema).toBe('t_coldstart');

    const applied = await sql<{ version: number }>`select version from t_coldstart.schema_migrations`.execute(
      services.platform,
    );
    expect(applied.rows.map((r) => r.version)).toEqual(loadMigrations('tenant').map((m) => m.version));
    const migratedLogs = t.logs.filter(
      (line) => line.msg === 'tenant schema migrated' && line.tenant === row.client_code,
    );
    expect(migratedLogs).toHaveLength(1);
  });

  it('keeps at most MAX_CACHED_TENANTS handles, and data survives eviction and reopen', async () => {
    const { services } = t.app;
    const tenants = [];
    for (const code of ['lru_a', 'lru_b', 'lru_c']) {
      const created = await t.createTenant(code);
      tenants.push(created.tenant);
    }
    const first = await services.connections.resolve((await findTenantByCode(services.platform, 'lru_a'))!);
    await first.db
      .insertInto('settings')
      .values({ key: 'marker', value: JSON.stringify({ kept: true }) })
      .execute();
    for (const code of ['lru_b', 'lru_c', 'lru_b', 'lru_c']) {
      await services.connections.resolve((await findTenantByCode(services.platform, code))!);
    }
    expect(services.connections.cachedCount).toBeLessThanOrEqual(2);

    const reopened = await services.connections.resolve(
      (await findTenantByCode(services.platform, 'lru_a'))!,
    );
    expect(reopened).not.toBe(first);
    const marker = await reopened.db
      .selectFrom('settings')
      .select('value')
      .where('key', '=', 'marker')
      .executeTakeFirst();
    expect(marker?.value).toEqual({ kept: true });
    // Handles share the server's pool: one pool however many tenants.
    expect(services.servers.poolCount).toBe(1);
  });

  it('keeps each tenant in its own schema', async () => {
    const a = await t.createTenant('iso_a');
    const b = await t.createTenant('iso_b');
    const { services } = t.app;
    const handleA = await services.connections.resolve(
      (await findTenantByCode(services.platform, a.tenant.clientCode))!,
    );
    const handleB = await services.connections.resolve(
      (await findTenantByCode(services.platform, b.tenant.clientCode))!,
    );
    await handleA.db.insertInto('settings').values({ key: 'only_a', value: '1' }).execute();
    const inB = await handleB.db.selectFrom('settings').selectAll().where('key', '=', 'only_a').execute();
    expect(inB).toEqual([]);
  });
});

describe.skipIf(testDatabaseKind === 'pglite')(
  'tenant placed on a dedicated server (Postgres only: PGlite is one embedded database)',
  () => {
    let t: TestApp;
    let dedicated: TestDatabase;
    beforeAll(async () => {
      t = await startTestApp();
      dedicated = await createTestDatabase('postgres');
    });
    afterAll(async () => {
      await t?.close();
      await dedicated?.drop();
    });

    it('creates and serves the tenant schema on the server its record names', async () => {
      const created = await t.createTenant('bigco', { databaseUrl: dedicated.url });
      expect(created.tenant.dataLocation).toBe('dedicated');
      const whoami = await t.crm(created).get('/whoami');
      expect(whoami.status).toBe(200);

      const { services } = t.app;
      const onDefault = await sql<{
        n: number;
      }>`select count(*)::int as n from pg_namespace where nspname = 't_bigco'`.execute(services.platform);
      expect(onDefault.rows[0]!.n).toBe(0);
      const handle = await services.connections.resolve(
        (await findTenantByCode(services.platform, 'bigco'))!,
      );
      expect(handle.server).not.toBe(services.servers.defaultServer);
      const onDedicated = await sql<{
        n: number;
      }>`select count(*)::int as n from pg_namespace where nspname = 't_bigco'`.execute(handle.server.db);
      expect(onDedicated.rows[0]!.n).toBe(1);
      expect(services.servers.poolCount).toBe(2);
    });

    it('refuses to create a tenant whose dedicated server is unreachable, leaving nothing behind', async () => {
      const res = await t.request('/api/platform/tenants', {
        headers: { authorization: `Bearer test-platform-admin-token-0123456789` },
        body: { code: 'ghost', name: 'Ghost', databaseUrl: 'postgres://postgres@127.0.0.1:1/nowhere' },
      });
      expect(res.status).toBe(503);
      expect(await findTenantByCode(t.app.services.platform, 'ghost')).toBeNull();
    });
  },
);
