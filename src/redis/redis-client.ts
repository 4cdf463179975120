import type { Logger } from 'pino';
import { createClient, type RedisClientType } from 'redis';

export type RedisClient = RedisClientType;

/**
 * One line per Redis outage, whichever of the process's clients notices first: an error when
 * the first loses its connection, info once every one of them is back. node-redis emits
 * `error` on every failed reconnect attempt; logging each would fill the log during an outage.
 */
class RedisOutageLog {
  private readonly down = new Set<RedisClient>();

  constructor(private readonly logger: Logger) {}

  watch(client: RedisClient, name: string): void {
    client.on('error', (error: unknown) => {
      if (this.down.has(client)) return;
      if (this.down.size === 0) {
        this.logger.error(
          { err: error, client: name },
          'redis unavailable; running without it until it returns',
        );
      }
      this.down.add(client);
    });
    client.on('ready', () => {
      if (this.down.delete(client) && this.down.size === 0) this.logger.info('redis reconnected');
    });
  }
}

const outageLogs = new WeakMap<RedisClient, RedisOutageLog>();

/**
 * Connects to Redis; reconnects with backoff on its own. Commands sent while it is away fail at
 * once instead of queueing (no offline queue): every user has a fallback (the rate limit counts
 * per process, realtime reaches this process's sockets), and a request must not wait for Redis.
 */
export async function connectRedis(url: string, logger: Logger): Promise<RedisClient> {
  const client: RedisClient = createClient({
    url,
    disableOfflineQueue: true,
    socket: { reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5000) },
  });
  const outageLog = new RedisOutageLog(logger);
  outageLogs.set(client, outageLog);
  outageLog.watch(client, 'main');
  await client.connect();
  return client;
}

/** Another connection with the same settings (e.g. for pub/sub), sharing the client's outage log. */
export function duplicateRedis(client: RedisClient, name: string): RedisClient {
  const duplicate = client.duplicate() as RedisClient;
  const outageLog = outageLogs.get(client);
  if (!outageLog) throw new Error('duplicateRedis: the client was not made by connectRedis');
  outageLog.watch(duplicate, name);
  return duplicate;
}
