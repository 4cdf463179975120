import type { RequestHandler } from 'express';
import { rateLimit, type RateLimitInfo, type Store } from 'express-rate-limit';
import { failure } from '../http/envelope.js';

/** Per-tenant request budget; the count lives in Redis when configured so every node shares it. */
export function tenantRateLimit(options: { windowMs: number; max: number; store?: Store }): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.max,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: options.store,
    keyGenerator: (req) => req.caller?.handle.tenant.id ?? 'anonymous',
    handler: (req, res) => {
      const info = (req as typeof req & { rateLimit?: RateLimitInfo }).rateLimit;
      const resetTime = info?.resetTime?.getTime() ?? Date.now() + options.windowMs;
      const retryAfterSeconds = Math.max(1, Math.ceil((resetTime - Date.now()) / 1000));
      res.setHeader('Retry-After', String(retryAfterSeconds));
      res
        .status(429)
        .json(failure('rate_limited', 'Too many requests for this tenant', { retryAfterSeconds }));
    },
  });
}
