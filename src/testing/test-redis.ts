import { connect } from 'node:net';

export const testRedisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Whether the test Redis answers. In CI it must: absent there, this throws; elsewhere the
 * caller skips its Redis tests after this warns loudly.
 */
export async function redisForTests(what: string): Promise<boolean> {
  const { hostname, port } = new URL(testRedisUrl);
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = connect(Number(port || 6379), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (reachable) return true;
  if (process.env.CI === 'true') throw new Error(`Redis is required in CI (${testRedisUrl})`);
  console.warn(`\n!!! Redis is not reachable at ${testRedisUrl}: ${what} is SKIPPED.\n`);
  return false;
}
