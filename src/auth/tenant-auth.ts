import type { RequestHandler } from 'express';
import { AppError } from '../http/app-error.js';
import { singleHeader } from '../http/single-header.js';
import type { ApiKeyAuthenticator } from './api-key-authenticator.js';

/** Authenticates tenant routes and attaches the caller (tenant handle + key) to the request. */
export function tenantAuth(authenticator: ApiKeyAuthenticator): RequestHandler {
  return async (req, _res, next) => {
    req.caller = await authenticator.authenticate(
      singleHeader(req, 'x-client-code'),
      singleHeader(req, 'x-api-key'),
    );
    next();
  };
}

/** Requires the caller's key to carry `scope` (or `*`). */
export function requireScope(scope: 'crm' | 'automations'): RequestHandler {
  return (req, _res, next) => {
    const scopes = req.caller?.apiKey.scopes ?? [];
    if (!scopes.includes('*') && !scopes.includes(scope)) {
      throw new AppError('forbidden', `This API key lacks the '${scope}' scope`);
    }
    next();
  };
}
