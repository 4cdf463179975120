import type { RequestHandler } from 'express';
import type { Selectable } from 'kysely';
import type { Logger } from 'pino';
import { apiKeyMatches, apiKeyPrefix, hashApiKey } from '../crypto/api-key.js';
import type { PlatformDb } from '../db/platform-database.js';
import { AppError } from '../http/app-error.js';
import { singleHeader } from '../http/single-header.js';
import type { TenantCaller } from '../http/request-context.js';
import type { TenantConnectionManager } from '../tenancy/connection-manager.js';
import { toTenant, type Tenant } from '../tenancy/tenant.js';
import { LruCache } from '../tenancy/lru-cache.js';
import { TenantCache } from '../tenancy/tenant-cache.js';
import type { TenantChanges } from '../tenancy/tenant-changes.js';
import type { ApiKeysTable } from '../tenancy/tenant.tables.js';

interface KeyRecord {
  tenant: Tenant;
  key: Pick<Selectable<ApiKeysTable>, 'id' | 'label' | 'scopes' | 'key_hash' | 'revoked_at'>;
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
    return { handle, apiKey: { id: record.key.id, label: record.key.label, scopes: record.key.scopes } };
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
      .select(['k.id as key_id', 'k.label', 'k.scopes', 'k.key_hash', 'k.revoked_at'])
      .where('k.prefix', '=', prefix)
      .executeTakeFirst();
    if (!row) return null;
    const { key_id: id, label, scopes, key_hash, revoked_at } = row;
    return { tenant: toTenant(row), key: { id, label, scopes, key_hash, revoked_at } };
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
    if (!hasScope(req.caller?.apiKey.scopes ?? [], scope)) throw lacksScope(scope);
    next();
  };
}
