import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { failure } from '../http/envelope.js';
import { sendJson } from '../http/send-json.js';
import type { RedisClient } from '../redis/redis-client.js';

/** Counts a key's requests in fixed windows: how many so far in this one, and when it ends. */
export interface RequestWindows {
  hit(key: string): Promise<{ count: number; resetAt: number }> | { count: number; resetAt: number };
}

/** One process's windows (a single node, or no Redis). */
export class MemoryWindows implements RequestWindows {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly windowMs: number) {}

  hit(key: string) {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      if (this.windows.size > 10_000) this.forgetEnded(now);
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    return { count: window.count, resetAt: window.resetAt };
  }

  private forgetEnded(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}

// Counts and starts the window's clock on the first hit, atomically; answers the count and ms left.
const hitScript = `local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('PTTL', KEYS[1]) }`;

/** Windows shared by every node through Redis. */
export class RedisWindows implements RequestWindows {
  constructor(
    private readonly redis: RedisClient,
    private readonly windowMs: number,
    private readonly prefix = 'switchyard:rl:',
  ) {}

  async hit(key: string) {
    const [count, msLeft] = (await this.redis.sendCommand([
      'EVAL',
      hitScript,
      '1',
      this.prefix + key,
      String(this.windowMs),
    ])) as [number, number];
    return { count, resetAt: Date.now() + Math.max(msLeft, 0) };
  }
}

/**
 * Redis's shared windows while Redis answers; while it is away, this process's own windows
 * (each node then allows up to the budget on its own: limits stay, looser, rather than none).
 * The outage is logged once by the Redis client, not here per request.
 */
export class FallbackWindows implements RequestWindows {
  private readonly shared: RedisWindows;
  private readonly local: MemoryWindows;

  constructor(
    private readonly redis: RedisClient,
    windowMs: number,
  ) {
    this.shared = new RedisWindows(redis, windowMs);
    this.local = new MemoryWindows(windowMs);
  }

  async hit(key: string) {
    if (!this.redis.isReady) return this.local.hit(key);
    try {
      return await this.shared.hit(key);
    } catch {
      return this.local.hit(key);
    }
  }
}

interface BudgetOptions {
  windowMs: number;
  max: number;
  windows: RequestWindows;
}

/**
 * A request budget per key (`keyOf`) with the IETF draft-8 `RateLimit` headers; over it, 429 with
 * `Retry-After`. Node's request and response only, so hot routes run it without Express.
 */
function requestBudget(
  options: BudgetOptions & { name: string; keyOf: (req: IncomingMessage) => string; message: string },
) {
  const windowSeconds = Math.ceil(options.windowMs / 1000);
  const policy = `"${options.name}"; q=${options.max}; w=${windowSeconds}`;
  const limiter: RequestHandler = async (req, res, next) => {
    const { count, resetAt } = await options.windows.hit(options.keyOf(req));
    const secondsLeft = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
    res.setHeader('RateLimit-Policy', policy);
    res.setHeader('RateLimit', `"${options.name}"; r=${Math.max(options.max - count, 0)}; t=${secondsLeft}`);
    if (count <= options.max) return next();
    res.setHeader('Retry-After', String(secondsLeft));
    sendJson(res, 429, failure('rate_limited', options.message, { retryAfterSeconds: secondsLeft }));
  };
  return limiter;
}

/** Per-tenant request budget, after authentication. */
export function tenantRateLimit(options: BudgetOptions) {
  return requestBudget({
    ...options,
    name: 'tenant',
    keyOf: (req) => (req as Request).caller?.handle.tenant.id ?? 'anonymous',
    message: 'Too many requests for this tenant',
  });
}

/**
 * The address a request comes from, as Express's `req.ip` resolves it with `trust proxy` on or
 * off; computed from Node's request so hot routes (which bypass Express) agree.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first || req.socket.remoteAddress || 'unknown';
}

/**
 * Per-client-address budget before authentication, so strangers are throttled before their
 * credentials cost a lookup. Counts every request (successes too): the default is generous.
 * Shares the tenant budget's windows under an `ip:` key prefix.
 */
export function addressRateLimit(options: BudgetOptions & { trustProxy: boolean }) {
  return requestBudget({
    ...options,
    name: 'address',
    keyOf: (req) => `ip:${clientAddress(req, options.trustProxy)}`,
    message: 'Too many requests from this address',
  });
}
