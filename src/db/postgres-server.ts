import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { DatabaseServer } from './database-server.js';

// Counts and ids of type int8 come back as numbers, as they do from PGlite.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

export function openPostgresServer(
  url: string,
  options: { poolMax: number; logger: Logger },
): DatabaseServer {
  const label = redactUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
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
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });

  return {
    kind: 'postgres',
    label,
    db,
    listen: (channel, onPayload) => listenWithReconnect(url, channel, onPayload, options.logger),
    async close() {
      await db.destroy();
    },
  };
}

/**
 * LISTEN on a dedicated client that reconnects with backoff when the server goes away.
 * After a reconnect it delivers an empty payload, because notifications sent meanwhile
 * are lost and the subscriber should look for work it missed.
 */
async function listenWithReconnect(
  url: string,
  channel: string,
  onPayload: (payload: string) => void,
  logger: Logger,
): Promise<() => Promise<void>> {
  let stopped = false;
  let current: pg.Client | null = null;

  const connect = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', (error) => logger.warn({ err: error, channel }, 'LISTEN connection failed'));
    client.on('notification', (message) => {
      if (message.channel === channel) onPayload(message.payload ?? '');
    });
    client.on('end', () => {
      if (current === client) current = null;
      if (!stopped) void reconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    current = client;
  };

  const reconnect = async (): Promise<void> => {
    for (let delay = 100; !stopped; delay = Math.min(delay * 2, 5000)) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (stopped) return;
      try {
        await connect();
        onPayload('');
        return;
      } catch (error) {
        logger.debug({ err: error, channel }, 'LISTEN reconnect attempt failed');
      }
    }
  };

  await connect();
  return async () => {
    stopped = true;
    await current?.end().catch(() => undefined);
  };
}
