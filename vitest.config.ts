import { availableParallelism } from 'node:os';
import pg from 'pg';
import { defineConfig } from 'vitest/config';
import SpawningFilesFirst from './src/testing/test-sequencer.js';

const postgresUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default defineConfig(async () => {
  const withPostgres = process.env.CI === 'true' || (await postgresReachable());
  if (!withPostgres) {
    console.warn(
      `\n!!! PostgreSQL is not reachable at ${postgresUrl}: the 'postgres' half of the suite is SKIPPED.\n` +
        '!!! Start it (see CONTRIBUTING.md) to run everything; CI never skips it.\n',
    );
  }
  const databases = withPostgres ? (['pglite', 'postgres'] as const) : (['pglite'] as const);
  // `pnpm test:quick`: one database, the server's when it is there (the faster of the two).
  const runOn = process.env.TEST_ONE_DATABASE === 'true' ? databases.slice(-1) : databases;
  const project = (name: 'pglite' | 'postgres') => ({
    extends: true as const,
    test: { name, env: { TEST_DB: name }, globalSetup: ['src/testing/test-run-setup.ts'] },
  });
  return {
    test: {
      include: ['src/**/*.test.ts'],
      testTimeout: 120_000,
      hookTimeout: 60_000,
      pool: 'forks',
      // A worker process keeps its loaded modules from one file to the next (the app's module
      // graph takes seconds to load); each file still starts its own app on its own database.
      isolate: false,
      maxWorkers: testWorkers(),
      sequence: { sequencer: SpawningFilesFirst },
      projects: runOn.map(project),
    },
  };
});

/**
 * Test files spend most of their time waiting (on the database server, child processes,
 * queue polls, sockets), not computing, so more files run at once than there are cores.
 * `TEST_WORKERS` overrides it.
 */
function testWorkers(): number {
  const fromEnv = Number(process.env.TEST_WORKERS);
  return fromEnv > 0 ? fromEnv : Math.max(2, availableParallelism() + 1);
}
