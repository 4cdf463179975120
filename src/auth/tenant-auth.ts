import type { RequestHandler } from 'express';
import type { Selectable } from 'kysely';
import type { Logger } from 'pino';
import { apiKeyMatches, apiKeyPrefix, hashApiKey } from '../crypto/api-key.js';
import type { PlatformDb } from '../db/platform-database.js';
import { AppError } from '../http/app-error.js';
import { singleHeader } from '../http/single-header.js';
import type { CallerUser, TenantCaller } from '../http/request-context.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { Access } from './access.js';
import type { TenantConnectionManager } from '../tenancy/connection-manager.js';
import { toTenant, type Tenant } from '../tenancy/tenant.js';
import { LruCache } from '../tenancy/lru-cache.js';
import { TenantCache } from '../tenancy/tenant-cache.js';
import type { TenantChanges } from '../tenancy/tenant-changes.js';
import type { ApiKeysTable } from '../tenancy/tenant.tables.js';

interface KeyRecord {
  tenant: Tenant;
  key: Pick<
    Selectable<ApiKeysTable>,
    'id' | 'label' | 'scopes' | 'key_hash' | 'revoked_at' | 'acts_as_user_id'
  >;
}

/**
 * Users, as tenant authentication needs them: the staff component implements it (plumbing
 * imports no component; the composition root hands it over).
 */
export interface UserPrincipals {
  /** The caller for a user's access token (`Authorization: Bearer`), or a 401/403. */
  authenticateBearer(token: string): Promise<TenantCaller>;
  /** The user an API key acts as, with their access; null when that user is not active. */
  actingAs(handle: TenantHandle, userId: string): Promise<{ user: CallerUser; access: Access } | null>;
}

const invalidCredentials = () => new AppError('unauthorized', 'Invalid client code or API key');
/** Compared against when no key matches, so unknown keys cost the same as wrong ones. */
const decoyHash = hashApiKey('sk_live_000000000000_decoy');
const lastUsedWriteIntervalMs = 60_000;
/** How long a prefix found in no key is answered "unknown" without asking the database. */
const unknownPrefixTtlMs = 30_000;

/**
 * Verifies `x-client-code` + `x-api-key`. Every failure (unknown code, unknown key, key of
 * another tenant, revoked key) is the same 401, so tenants cannot be enumerated. Verified
 * keys are cached briefly; a tenant change (suspension, revocation: a NOTIFY to every
 * process) drops that tenant's keys at once.
 */
export class ApiKeyAuthenticator {
  private readonly cache: TenantCache<string, KeyRecord>;
  private readonly lastUsedWrites = new Map<string, number>();
  /** Prefixes recently looked up and not found, with when that answer expires. */
  private readonly unknownPrefixes = new LruCache<string, number>(10_000);
  /** Key lookups that reached the database (tests read it to see what a flood costs). */
  keyLookups = 0;

  constructor(
    private readonly deps: {
      platform: PlatformDb;
      connections: TenantConnectionManager;
      cacheTtlMs: number;
      changes: TenantChanges;
      logger: Logger;
      /** For keys that act as a named user. */
      users?: UserPrincipals;
    },
  ) {
    this.cache = new TenantCache(deps.changes, {
      ttlMs: deps.cacheTtlMs,
      max: 10_000,
      tenantOf: (record) => record.tenant.id,
    });
    // Any change may be a key being created: forget every "unknown" answer rather than guess.
    deps.changes.subscribe(() => this.unknownPrefixes.clear());
  }

  async authenticate(clientCode: string | undefined, apiKey: string | undefined): Promise<TenantCaller> {
    if (!clientCode || !apiKey) {
      throw new AppError('unauthorized', 'x-client-code and x-api-key headers are required');
    }
    const prefix = apiKeyPrefix(apiKey);
    const record = prefix ? await this.lookup(prefix) : null;
    const matches = apiKeyMatches(apiKey, record?.key.key_hash ?? decoyHash);
    if (
      !record ||
      !matches ||
      record.tenant.clientCode !== clientCode.toLowerCase() ||
      record.key.revoked_at
    ) {
      throw invalidCredentials();
    }
    if (record.tenant.status !== 'active') {
      throw new AppError('forbidden', 'This tenant is suspended', {
        details: { status: record.tenant.status },
      });
    }
    this.touch(record.key.id);
    const handle = await this.deps.connections.resolve(record.tenant);
    const key = { id: record.key.id, label: record.key.label, scopes: record.key.scopes };
    const actsAs = record.key.acts_as_user_id;
    if (!actsAs) {
      return {
        handle,
        apiKey: key,
        user: null,
        scopes: key.scopes,
        access: Access.tenantWide(),
        actor: { type: 'api_key', id: key.id, name: key.label },
      };
    }
    const principal = this.deps.users ? await this.deps.users.actingAs(handle, actsAs) : null;
    // The user it acts as was disabled or removed: the key acts as nobody, so it is refused.
    if (!principal) throw invalidCredentials();
    return {
      handle,
      apiKey: key,
      user: principal.user,
      scopes: key.scopes,
      access: principal.access,
      actor: { type: 'user', id: principal.user.id, name: principal.user.name },
    };
  }

  private async lookup(prefix: string): Promise<KeyRecord | null> {
    if ((this.unknownPrefixes.get(prefix) ?? 0) > Date.now()) return null;
    const readStart = this.deps.changes.version;
    const record = await this.cache.getOrLoad(prefix, () => this.read(prefix));
    // A change during the read may have created this key: then the "unknown" is not kept.
    if (!record && readStart === this.deps.changes.version) {
      this.unknownPrefixes.set(prefix, Date.now() + unknownPrefixTtlMs);
    }
    return record;
  }

  private async read(prefix: string): Promise<KeyRecord | null> {
    this.keyLookups++;
    const row = await this.deps.platform
      .selectFrom('api_keys as k')
      .innerJoin('tenants as t', 't.id', 'k.tenant_id')
      .selectAll('t')
      .select(['k.id as key_id', 'k.label', 'k.scopes', 'k.key_hash', 'k.revoked_at', 'k.acts_as_user_id'])
      .where('k.prefix', '=', prefix)
      .executeTakeFirst();
    if (!row) return null;
    const { key_id: id, label, scopes, key_hash, revoked_at, acts_as_user_id } = row;
    return { tenant: toTenant(row), key: { id, label, scopes, key_hash, revoked_at, acts_as_user_id } };
  }

  private touch(keyId: string): void {
    const now = Date.now();
    if (now - (this.lastUsedWrites.get(keyId) ?? 0) < lastUsedWriteIntervalMs) return;
    this.lastUsedWrites.set(keyId, now);
    this.deps.platform
      .updateTable('api_keys')
      .set({ last_used_at: new Date(now) })
      .where('id', '=', keyId)
      .execute()
      .catch((error: unknown) => this.deps.logger.warn({ err: error, keyId }, 'could not record key use'));
  }
}

/**
 * Authenticates tenant routes and attaches the caller to the request: a user's access token
 * (`Authorization: Bearer`), else `x-client-code` + `x-api-key`.
 */
export function tenantAuth(authenticator: ApiKeyAuthenticator, users?: UserPrincipals): RequestHandler {
  return async (req, _res, next) => {
    const bearer = bearerToken(singleHeader(req, 'authorization'));
    req.caller =
      bearer !== null && users
        ? await users.authenticateBearer(bearer)
        : await authenticator.authenticate(
            singleHeader(req, 'x-client-code'),
            singleHeader(req, 'x-api-key'),
          );
    next();
  };
}

/** The token of an `Authorization: Bearer …` header (scheme case-insensitive), else null. */
export function bearerToken(header: string | undefined): string | null {
  const match = header ? /^Bearer +(\S+) *$/i.exec(header) : null;
  return match ? match[1]! : null;
}

export type ApiScope = 'crm' | 'automations';

/** Whether a key's scopes grant `scope` (`*` grants every scope). */
export function hasScope(scopes: readonly string[], scope: ApiScope): boolean {
  return scopes.includes('*') || scopes.includes(scope);
}

export const lacksScope = (scope: ApiScope) =>
  new AppError('forbidden', `This API key lacks the '${scope}' scope`);

/** Requires the caller's key to carry `scope` (or `*`). */
export function requireScope(scope: ApiScope): RequestHandler {
  return (req, _res, next) => {
    if (!hasScope(req.caller?.scopes ?? [], scope)) throw lacksScope(scope);
    next();
  };
}
