import { createServer } from 'node:net';
import pg from 'pg';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { toAppError } from '../http/error-handler.js';
import { openPostgresServer } from './postgres-server.js';
import { isDatabaseUnavailable } from './postgres-errors.js';
import { postgresAdminUrl } from '../testing/postgres-admin.js';
import { testDatabaseKind } from '../testing/test-database.js';

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('database outages as errors', () => {
  it('answers a refused connection as 503 database_unavailable, bounded by the connect timeout', async () => {
    const server = openPostgresServer(`postgres://nobody@127.0.0.1:${await closedPort()}/none`, {
      poolMax: 2,
      logger: pino({ level: 'silent' }),
      connectTimeoutMs: 1000,
    });
    try {
      const error = await server.db
        .selectNoFrom((eb) => eb.val(1).as('one'))
        .execute()
        .catch((caught: unknown) => caught);
      expect(isDatabaseUnavailable(error)).toBe(true);
      const appError = toAppError(error);
      expect(appError.code).toBe('database_unavailable');
      expect(appError.status).toBe(503);
    } finally {
      await server.close();
    }
  });

  it.runIf(testDatabaseKind === 'postgres')('tells a terminated backend from a bad statement', async () => {
    const client = new pg.Client({ connectionString: postgresAdminUrl });
    client.on('error', () => undefined);
    await client.connect();
    const syntax = await client.query('selec 1').catch((caught: unknown) => caught);
    expect(isDatabaseUnavailable(syntax)).toBe(false);
    expect(toAppError(syntax).status).toBe(500);
    const terminated = await client
      .query('select pg_terminate_backend(pg_backend_pid())')
      .catch((caught: unknown) => caught);
    expect(isDatabaseUnavailable(terminated)).toBe(true);
    await client.end().catch(() => undefined);
  });
});
