import pg from 'pg';
import type { Logger } from 'pino';
import { jitteredBackoffMs } from './backoff.js';

export interface ListenOptions {
  url: string;
  channel: string;
  onPayload: (payload: string) => void;
  logger: Logger;
  connectTimeoutMs: number;
}

const reconnectBackoff = { baseMs: 100, maxMs: 2000 };

/** Ends a client without waiting on a dead socket for longer than a moment (shutdown stays bounded). */
function endClient(client: pg.Client): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1000);
    timer.unref();
    client
      .end()
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer);
        resolve();
      });
  });
}

/**
 * LISTEN on one dedicated connection that comes back by itself after the server went away.
 * At most one connection exists per subscription at any time, and at most one reconnect loop
 * runs: only an established connection's `end` starts the loop, a failed attempt is always
 * ended and retried by the loop itself, with jittered backoff. After a reconnect it delivers an
 * empty payload, because notifications sent meanwhile are lost and the subscriber should look
 * for work it missed.
 */
export async function listenWithReconnect(options: ListenOptions): Promise<() => Promise<void>> {
  const { channel, logger } = options;
  let stopped = false;
  let current: pg.Client | null = null;
  let attempt: pg.Client | null = null;
  let reconnecting: Promise<void> | null = null;
  let wakeSleeper: (() => void) | null = null;

  /** Opens a listening connection, or ends it and throws: a failed client never stays open. */
  const open = async (): Promise<pg.Client> => {
    const client = new pg.Client({
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeoutMs,
      keepAlive: true,
    });
    client.on('error', (error) => logger.debug({ err: error, channel }, 'LISTEN connection failed'));
    client.on('notification', (message) => {
      if (message.channel === channel) options.onPayload(message.payload ?? '');
    });
    attempt = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      return client;
    } catch (error) {
      await endClient(client);
      throw error;
    } finally {
      attempt = null;
    }
  };

  const adopt = (client: pg.Client): void => {
    current = client;
    // A connection that dies without closing its socket is ended here, which emits `end`.
    client.on('error', () => void endClient(client));
    client.once('end', () => {
      if (current !== client) return;
      current = null;
      if (stopped) return;
      logger.warn({ channel }, 'LISTEN connection lost; reconnecting');
      startReconnecting();
    });
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeSleeper = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (wakeSleeper = null));

  const reconnectLoop = async (): Promise<void> => {
    for (let failures = 0; !stopped; failures++) {
      await sleep(jitteredBackoffMs(failures, reconnectBackoff));
      if (stopped) return;
      let client: pg.Client;
      try {
        client = await open();
      } catch (error) {
        logger.debug({ err: error, channel, failures: failures + 1 }, 'LISTEN reconnect attempt failed');
        continue;
      }
      if (stopped) {
        await endClient(client);
        return;
      }
      adopt(client);
      logger.info({ channel, attempts: failures + 1 }, 'LISTEN connection re-established');
      options.onPayload('');
      return;
    }
  };

  const startReconnecting = (): void => {
    reconnecting ??= reconnectLoop().finally(() => (reconnecting = null));
  };

  adopt(await open());
  return async () => {
    stopped = true;
    wakeSleeper?.();
    const clients = [current, attempt].filter((client): client is pg.Client => client !== null);
    current = null;
    await Promise.all(clients.map(endClient));
    await reconnecting;
  };
}
