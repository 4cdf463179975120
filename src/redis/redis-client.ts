import type { Logger } from 'pino';
import { createClient, type RedisClientType } from 'redis';

export type RedisClient = RedisClientType;

/** Connects to Redis; reconnects with backoff on its own and logs (rather than throws) later failures. */
export async function connectRedis(url: string, logger: Logger): Promise<RedisClient> {
  const client: RedisClient = createClient({
    url,
    socket: { reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5000) },
  });
  client.on('error', (error: unknown) => logger.warn({ err: error }, 'redis connection error'));
  await client.connect();
  return client;
}
