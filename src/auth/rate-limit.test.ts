import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '../redis/redis-client.js';
import { redisForTests, testRedisUrl } from '../testing/test-redis.js';
import { FallbackWindows, MemoryWindows, RedisWindows } from './rate-limit.js';

describe('MemoryWindows', () => {
  it('counts per key and starts over when the window ends', async () => {
    const windows = new MemoryWindows(200);
    expect([windows.hit('a'), windows.hit('a'), windows.hit('b')].map((w) => w.count)).toEqual([1, 2, 1]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(windows.hit('a').count).toBe(1);
  });
});

describe('RedisWindows (budgets shared by every node)', () => {
  let redis: RedisClient | undefined;
  beforeAll(async () => {
    if (await redisForTests('the shared rate-limit test')) {
      redis = await connectRedis(testRedisUrl, pino({ level: 'silent' }));
    }
  });
  afterAll(() => redis?.quit());

  it('counts hits from two nodes in one window and starts over when it ends', async (context) => {
    if (!redis) return context.skip();
    const tenant = randomUUID();
    const nodeA = new RedisWindows(redis, 300);
    const nodeB = new RedisWindows(redis, 300);
    const first = await nodeA.hit(tenant);
    expect(first.count).toBe(1);
    expect(first.resetAt - Date.now()).toBeGreaterThan(0);
    expect(first.resetAt - Date.now()).toBeLessThanOrEqual(300);
    expect((await nodeB.hit(tenant)).count).toBe(2);
    expect((await nodeA.hit(randomUUID())).count).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await nodeB.hit(tenant)).count).toBe(1);
  });
});

describe('FallbackWindows (Redis while it answers, this process while it does not)', () => {
  it('shares the window through Redis, then counts per process once the client is gone', async (context) => {
    if (!(await redisForTests('the rate-limit fallback test'))) return context.skip();
    const redis = await connectRedis(testRedisUrl, pino({ level: 'silent' }));
    const tenant = randomUUID();
    const fallback = new FallbackWindows(redis, 60_000);
    const otherNode = new RedisWindows(redis, 60_000);
    expect((await fallback.hit(tenant)).count).toBe(1);
    expect((await otherNode.hit(tenant)).count).toBe(2);
    expect((await fallback.hit(tenant)).count).toBe(3);
    redis.destroy();
    // No Redis: a limit still, in this process's own window, and no waiting for Redis.
    expect((await fallback.hit(tenant)).count).toBe(1);
    expect((await fallback.hit(tenant)).count).toBe(2);
  });
});
