import type { IncomingMessage } from 'node:http';
import type { Response } from 'express';

/** The refresh token's cookie (AUTH_COOKIES=true): sent back only to `/api/auth`, never readable by scripts. */
export const refreshCookieName = 'sy_refresh';
const cookiePath = '/api/auth';

/** Sets the refresh token as an `HttpOnly; Secure; SameSite=Strict` cookie for `/api/auth`, lasting `maxAgeMs`. */
export function setRefreshCookie(res: Response, refreshToken: string, maxAgeMs: number): void {
  res.cookie(refreshCookieName, refreshToken, {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: cookiePath,
    maxAge: maxAgeMs,
  });
}

export function clearRefreshCookie(res: Response): void {
  res.clearCookie(refreshCookieName, { httpOnly: true, secure: true, sameSite: 'strict', path: cookiePath });
}

/** The refresh token in the request's `Cookie` header, if any. */
export function refreshCookieOf(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at < 0 || part.slice(0, at).trim() !== refreshCookieName) continue;
    const value = part.slice(at + 1).trim();
    try {
      return decodeURIComponent(value) || undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
