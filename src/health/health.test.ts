import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { testDatabaseKind, withAdminClient } from '../testing/test-database.js';

describe.skipIf(testDatabaseKind === 'pglite')(
  'readiness when the services database goes away (Postgres only: PGlite is in-process)',
  () => {
    let t: TestApp;
    let name: string;
    beforeAll(async () => {
      t = await startTestApp();
      name = new URL(t.database.url!).pathname.slice(1);
    });
    afterAll(async () => {
      await withAdminClient((client) => client.query(`alter database ${name} allow_connections true`));
      await t?.close();
    });

    it('answers 503 while the database refuses connections, and 200 once it is back', async () => {
      expect((await t.request('/health/ready')).status).toBe(200);
      await withAdminClient(async (client) => {
        await client.query(`alter database ${name} allow_connections false`);
        await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [
          name,
        ]);
      });
      const down = await t.request('/health/ready');
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ success: false, error: { code: 'service_unavailable' } });
      expect((await t.request('/health/live')).status).toBe(200);

      await withAdminClient((client) => client.query(`alter database ${name} allow_connections true`));
      await expect.poll(async () => (await t.request('/health/ready')).status, { timeout: 15_000 }).toBe(200);
    });
  },
);
