import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import {
  createTestDatabase,
  testDatabaseKind,
  withAdminClient,
  type TestDatabase,
} from '../testing/test-database.js';
import { openPostgresServer } from './postgres-server.js';

const application = 'switchyard-close-test';

/** The backends of this test's pools connected to `database`, in `state` if given. */
async function backendsOf(database: string, state?: string): Promise<number> {
  return withAdminClient(async (client) => {
    const { rows } = await client.query<{ n: string }>(
      `select count(*) as n from pg_stat_activity
        where datname = $1 and application_name = $2 and ($3::text is null or state = $3)`,
      [database, application, state ?? null],
    );
    return Number(rows[0]!.n);
  });
}

describe.runIf(testDatabaseKind === 'postgres')('closing a Postgres server at shutdown', () => {
  let database: TestDatabase;
  let name: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    name = new URL(database.url!).pathname.slice(1);
  });
  afterAll(async () => {
    await withAdminClient((client) =>
      client.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1`, [name]),
    );
    await database.drop();
  });

  it('cuts the connections still in use after its grace: a statement in flight and a holder that never gives its connection back', async () => {
    const url = new URL(database.url!);
    url.searchParams.set('application_name', application);
    const server = openPostgresServer(url.toString(), {
      poolMax: 4,
      logger: createLogger({ level: 'silent' }),
    });
    // A statement that outlasts the test, and a transaction whose holder waits for ever.
    const sleeping = sql`select pg_sleep(600)`.execute(server.db);
    sleeping.catch(() => undefined);
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const holder = server.db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      holding();
      await new Promise(() => undefined);
    });
    holder.catch(() => undefined);
    await held;
    await expect.poll(() => backendsOf(name)).toBe(2);

    await server.close({ graceMs: 200 });

    await expect(sleeping).rejects.toThrow();
    // The open transaction is rolled back at once; a statement in flight runs on in the server until
    // it next looks at its client (Postgres does not watch the socket during a statement), then ends.
    await expect.poll(() => backendsOf(name, 'idle in transaction')).toBe(0);
    expect(await backendsOf(name)).toBeLessThanOrEqual(1);
  }, 60_000);

  it('without a grace, waits for a statement in flight to finish', async () => {
    const server = openPostgresServer(database.url!, {
      poolMax: 2,
      logger: createLogger({ level: 'silent' }),
    });
    const answer = sql<{ n: number }>`select 7 as n from pg_sleep(0.3)`.execute(server.db);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close();
    expect((await answer).rows[0]!.n).toBe(7);
  });
});
