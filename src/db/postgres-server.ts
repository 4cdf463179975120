import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { DatabaseServer } from './database-server.js';
import { listenWithReconnect } from './postgres-listener.js';
import { DatabaseConnectError } from './postgres-errors.js';

// Counts and ids of type int8 come back as numbers, as they do from PGlite.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** How long a request waits for a connection before it fails as `database_unavailable`. */
export const defaultConnectTimeoutMs = 5000;

/** After cutting connections still in use at close, how long their holders get to give them back. */
const cutSettleMs = 1000;

/** Whether `work` settles within `ms` (its failure counts as settled: a closing pool's errors are moot). */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}

export interface PostgresServerOptions {
  poolMax: number;
  logger: Logger;
  /** Bounds both opening a connection and waiting for a free one in the pool. */
  connectTimeoutMs?: number;
}

export function openPostgresServer(url: string, options: PostgresServerOptions): DatabaseServer {
  const label = redactUrl(url);
  const connectTimeoutMs = options.connectTimeoutMs ?? defaultConnectTimeoutMs;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax,
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    // A network cut without a FIN is noticed by keepalive instead of never.
    keepAlive: true,
  });
  pool.on('error', (error) =>
    options.logger.warn({ err: error, server: label }, 'idle database client failed'),
  );
  // A backend that dies under a checked-out client (server restart, pg_terminate_backend)
  // fails the running query; without a listener its 'error' event would crash the process.
  pool.on('connect', (client) =>
    client.on('error', (error) =>
      options.logger.debug({ err: error, server: label }, 'database client failed'),
    ),
  );
  const inUse = new Set<pg.PoolClient>();
  pool.on('acquire', (client) => inUse.add(client));
  pool.on('release', (_error, client) => inUse.delete(client));
  pool.on('remove', (client) => inUse.delete(client as pg.PoolClient));
  // Whatever stops the pool from handing out a connection is an outage to the caller
  // (postgres-errors.ts maps it to 503 database_unavailable), never a statement's fault.
  const connectingPool = {
    connect: () =>
      pool.connect().catch((error: unknown) => {
        throw new DatabaseConnectError(error);
      }),
    end: () => pool.end(),
    options: pool.options,
  };
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: connectingPool }) });

  return {
    kind: 'postgres',
    label,
    db,
    listen: (channel, onPayload) =>
      listenWithReconnect({ url, channel, onPayload, logger: options.logger, connectTimeoutMs }),
    async close({ graceMs } = {}) {
      const destroyed = db.destroy();
      if (graceMs === undefined || (await settlesWithin(destroyed, graceMs))) return destroyed;
      // Work the stop gave up on (a job past its grace) still holds these: it fails on its next
      // statement, and a holder that never gives its connection back does not hold the process.
      if (inUse.size > 0) {
        options.logger.warn(
          { server: label, connections: inUse.size },
          'cutting database connections still in use',
        );
        for (const client of inUse) client.end().catch(() => undefined);
      }
      await settlesWithin(destroyed, cutSettleMs);
    },
  };
}
