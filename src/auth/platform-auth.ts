import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../http/app-error.js';
import { singleHeader } from '../http/single-header.js';

/** Guards platform routes with `Authorization: Bearer $PLATFORM_ADMIN_TOKEN` (constant-time). */
export function platformAuth(adminToken: string): RequestHandler {
  const expected = digest(adminToken);
  return (req, _res, next) => {
    const header = singleHeader(req, 'authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!token || !timingSafeEqual(digest(token), expected)) {
      throw new AppError('unauthorized', 'A valid platform admin token is required');
    }
    next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
