import { sql } from 'kysely';
import { pageOf, type Keyset, type Page } from '../http/pagination.js';
import type { z } from 'zod';
import { generateApiKey } from '../crypto/api-key.js';
import type { PlatformDb } from '../db/platform-database.js';
import { AppError } from '../http/app-error.js';
import type { TenantConnectionManager } from '../tenancy/connection-manager.js';
import { toTenant, type Tenant } from '../tenancy/tenant.js';
import { patchTenantLimits, readTenantLimits } from '../tenancy/tenant-limits.js';
import { maskSecretValue, secretSchemas, type SecretKind } from './secret-kinds.js';
import type { TenantSecrets } from './tenant-secrets.js';
import type { TenantChanges } from '../tenancy/tenant-changes.js';
import { findTenantByCode } from '../tenancy/tenant-registry.js';
import { findUserRow } from '../staff/index.js';
import { toApiKeySummary, type ApiKeySummary } from './tenant.repository.js';
import type { PlatformActor } from '../auth/platform-auth.js';
import {
  listPlatformAudit,
  recordPlatformChange,
  type AuditEntry,
  type AuditQuery,
} from './platform-audit.js';
import {
  createKeySchema,
  createTenantSchema,
  updateKeySchema,
  updateTenantSchema,
  type CreateKeyInput,
  type UpdateKeyInput,
  type CreateTenantInput,
  type UpdateTenantInput,
} from './tenant.schemas.js';

const tenantsKeyset: Keyset = { list: 'tenants', columns: [['client_code', 'text']], direction: 'asc' };

export interface IssuedKey {
  id: string;
  label: string;
  prefix: string;
  scopes: string[];
  apiKey: string;
}

/** What removing a secret answers. */
export interface RemovedSecret {
  kind: SecretKind;
  removed: true;
}

export interface SecretSummary {
  kind: string;
  keyId: string;
  value: Record<string, unknown>;
  updatedAt: Date;
}

/**
 * What a channel does inside the transaction that stores or removes its secret (WhatsApp claims
 * and frees its numbers' routes), given by the composition root so that this component does not
 * import the channel.
 */
export interface SecretHook {
  written(trx: PlatformDb, tenantId: string, value: Record<string, unknown>): Promise<void>;
  removed(trx: PlatformDb, tenantId: string): Promise<void>;
}

export interface TenantDetails extends Tenant {
  apiKeys: ApiKeySummary[];
  secrets: SecretSummary[];
}

/**
 * Onboarding use cases: the platform API and the `pnpm tenant` CLI both call these. Every change
 * takes its actor and records it in `platform.audit_log`, in the change's transaction.
 */
export class TenantAdmin {
  constructor(
    private readonly deps: {
      platform: PlatformDb;
      changes: TenantChanges;
      secrets: TenantSecrets;
      connections: TenantConnectionManager;
      secretHooks?: Partial<Record<SecretKind, SecretHook>>;
    },
  ) {}

  async createTenant(
    input: CreateTenantInput,
    actor: PlatformActor,
  ): Promise<{ tenant: Tenant; apiKey: IssuedKey }> {
    const data = createTenantSchema.parse(input);
    const key = generateApiKey();
    const { tenant, keyRow } = await this.deps.platform.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('tenants')
        .values({
          client_code: data.code,
          name: data.name,
          timezone: data.timezone,
          default_country: data.defaultCountry,
          data_location: data.databaseUrl ? 'dedicated' : 'default',
          limits: JSON.stringify(data.limits),
        })
        .onConflict((conflict) => conflict.column('client_code').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!row) {
        throw new AppError('conflict', `A tenant with client code '${data.code}' already exists`, {
          details: { field: 'code' },
        });
      }
      const keyRow = await trx
        .insertInto('api_keys')
        .values({ tenant_id: row.id, label: data.keyLabel, prefix: key.prefix, key_hash: key.hash })
        .returningAll()
        .executeTakeFirstOrThrow();
      if (data.databaseUrl) {
        await this.deps.secrets.write(row.id, 'database', { url: data.databaseUrl }, trx);
      }
      await recordPlatformChange(trx, actor, 'tenant.create', {
        tenantId: row.id,
        details: {
          code: row.client_code,
          name: row.name,
          dataLocation: row.data_location,
          keyId: keyRow.id,
          keyLabel: keyRow.label,
        },
      });
      return { tenant: toTenant(row), keyRow };
    });

    try {
      await this.deps.connections.resolve(tenant);
    } catch (error) {
      // Provisioning failed (e.g. the dedicated server is unreachable): leave nothing half-made.
      await this.deps.platform.deleteFrom('tenants').where('id', '=', tenant.id).execute();
      await this.deps.platform.deleteFrom('audit_log').where('tenant_id', '=', tenant.id).execute();
      this.deps.connections.forget(tenant.id);
      throw new AppError(
        'service_unavailable',
        `Could not provision the tenant's database: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    return { tenant, apiKey: { ...issued(keyRow), apiKey: key.key } };
  }

  async listTenants(): Promise<Tenant[]> {
    const rows = await this.deps.platform.selectFrom('tenants').selectAll().orderBy('client_code').execute();
    return rows.map(toTenant);
  }

  /** A page of tenants by client code. */
  async listTenantPage(page: { limit: number; cursor?: string }): Promise<Page<Tenant>> {
    const query = this.deps.platform.selectFrom('tenants').selectAll();
    return pageOf(query, tenantsKeyset, page, toTenant);
  }

  async getTenant(code: string): Promise<TenantDetails> {
    const tenant = await this.requireTenant(code);
    const [keys, secrets] = await Promise.all([
      this.deps.platform
        .selectFrom('api_keys')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .orderBy('created_at')
        .execute(),
      this.deps.platform
        .selectFrom('tenant_secrets')
        .selectAll()
        .where('tenant_id', '=', tenant.id)
        .orderBy('kind')
        .execute(),
    ]);
    return {
      ...tenant,
      apiKeys: keys.map(toApiKeySummary),
      secrets: secrets.map((row) => ({
        kind: row.kind,
        keyId: row.key_id,
        value: maskSecretValue(JSON.parse(this.deps.secrets.open(row))),
        updatedAt: row.updated_at,
      })),
    };
  }

  async setStatus(code: string, status: Tenant['status'], actor: PlatformActor): Promise<Tenant> {
    return this.deps.changes.inTransaction(this.deps.platform, async (trx, announce) => {
      const row = await trx
        .updateTable('tenants')
        .set({ status, updated_at: new Date() })
        .where('client_code', '=', code)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw AppError.notFound('Tenant');
      await recordPlatformChange(trx, actor, status === 'active' ? 'tenant.resume' : 'tenant.suspend', {
        tenantId: row.id,
        details: { code: row.client_code },
      });
      await announce(row.id);
      return toTenant(row);
    });
  }

  /**
   * Changes what the operator may change on a tenant (its limit overrides); every process drops
   * its cached copy of the tenant at commit, so the change applies without a restart.
   */
  async updateTenant(code: string, input: UpdateTenantInput, actor: PlatformActor): Promise<Tenant> {
    const data = updateTenantSchema.parse(input);
    return this.deps.changes.inTransaction(this.deps.platform, async (trx, announce) => {
      const current = await trx
        .selectFrom('tenants')
        .select(['id', 'limits'])
        .where('client_code', '=', code.toLowerCase())
        .forUpdate()
        .executeTakeFirst();
      if (!current) throw AppError.notFound('Tenant');
      const limits = patchTenantLimits(readTenantLimits(current.limits), data.limits ?? {});
      const row = await trx
        .updateTable('tenants')
        // A later updated_at, to the millisecond, is what makes each process's open handle take
        // the new row (TenantConnectionManager.resolve compares it).
        .set({
          limits: JSON.stringify(limits),
          updated_at: sql<Date>`greatest(now(), updated_at + interval '1 millisecond')`,
        })
        .where('id', '=', current.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordPlatformChange(trx, actor, 'tenant.update', {
        tenantId: row.id,
        details: { code: row.client_code, limits: data.limits ?? {} },
      });
      await announce(row.id);
      return toTenant(row);
    });
  }

  async createKey(code: string, input: CreateKeyInput, actor: PlatformActor): Promise<IssuedKey> {
    const data = createKeySchema.parse(input);
    const tenant = await this.requireTenant(code);
    const key = generateApiKey();
    const row = await this.deps.platform.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('api_keys')
        .values({
          tenant_id: tenant.id,
          label: data.label,
          scopes: data.scopes,
          prefix: key.prefix,
          key_hash: key.hash,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordPlatformChange(trx, actor, 'key.create', {
        tenantId: tenant.id,
        details: { code: tenant.clientCode, keyId: row.id, label: row.label, scopes: row.scopes },
      });
      return row;
    });
    return { ...issued(row), apiKey: key.key };
  }

  async revokeKey(code: string, keyId: string, actor: PlatformActor): Promise<ApiKeySummary> {
    const tenant = await this.requireTenant(code);
    return this.deps.changes.inTransaction(this.deps.platform, async (trx, announce) => {
      const row = await trx
        .updateTable('api_keys')
        .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(new Date())) }))
        .where('tenant_id', '=', tenant.id)
        .where('id', '=', keyId)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw AppError.notFound('API key');
      await recordPlatformChange(trx, actor, 'key.revoke', {
        tenantId: tenant.id,
        details: { code: tenant.clientCode, keyId: row.id, label: row.label },
      });
      await announce(tenant.id);
      return toApiKeySummary(row);
    });
  }

  /**
   * Makes a key act as a user of its tenant (their role's permissions and visibility, their
   * name in the activity log) or, with null, as the tenant again. Applies at once everywhere.
   */
  async updateKey(
    code: string,
    keyId: string,
    input: UpdateKeyInput,
    actor: PlatformActor,
  ): Promise<ApiKeySummary> {
    const data = updateKeySchema.parse(input);
    const tenant = await this.requireTenant(code);
    if (data.actsAsUserId) {
      const handle = await this.deps.connections.resolve(tenant);
      const user = await findUserRow(handle.db, data.actsAsUserId);
      if (!user) {
        throw AppError.invalidFields([
          { path: 'body.actsAsUserId', message: `The tenant has no user ${data.actsAsUserId}` },
        ]);
      }
    }
    return this.deps.changes.inTransaction(this.deps.platform, async (trx, announce) => {
      const row = await trx
        .updateTable('api_keys')
        .set({ acts_as_user_id: data.actsAsUserId })
        .where('tenant_id', '=', tenant.id)
        .where('id', '=', keyId)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw AppError.notFound('API key');
      await recordPlatformChange(trx, actor, 'key.update', {
        tenantId: tenant.id,
        details: { code: tenant.clientCode, keyId: row.id, actsAsUserId: data.actsAsUserId },
      });
      await announce(tenant.id);
      return toApiKeySummary(row);
    });
  }

  async setSecret(
    code: string,
    kind: SecretKind,
    value: unknown,
    actor: PlatformActor,
  ): Promise<SecretSummary> {
    const schema: z.ZodType = secretSchemas[kind];
    const parsed = schema.parse(value) as Record<string, unknown>;
    const tenant = await this.requireTenant(code);
    const row = await this.deps.changes.inTransaction(this.deps.platform, async (trx, announce) => {
      const row = await this.deps.secrets.write(tenant.id, kind, parsed, trx);
      await this.deps.secretHooks?.[kind]?.written(trx, tenant.id, parsed);
      // The kind only: never the value.
      await recordPlatformChange(trx, actor, 'secret.put', {
        tenantId: tenant.id,
        details: { code: tenant.clientCode, kind, keyId: row.key_id },
      });
      await announce(tenant.id);
      return row;
    });
    return { kind, keyId: row.key_id, value: maskSecretValue(parsed), updatedAt: row.updated_at };
  }

  /** Disconnects a channel or store: the secret is deleted and, for WhatsApp, its routes freed. */
  async removeSecret(code: string, kind: SecretKind, actor: PlatformActor): Promise<RemovedSecret> {
    const tenant = await this.requireTenant(code);
    if (kind === 'database') {
      // The tenant's data lives on that server: without the secret it would open an empty schema elsewhere.
      throw new AppError(
        'conflict',
        "A tenant's database secret cannot be removed: it names where its data lives",
      );
    }
    await this.deps.changes.inTransaction(this.deps.platform, async (trx, announce) => {
      if (!(await this.deps.secrets.remove(tenant.id, kind, trx)))
        throw AppError.notFound('Secret', { kind });
      await this.deps.secretHooks?.[kind]?.removed(trx, tenant.id);
      await recordPlatformChange(trx, actor, 'secret.delete', {
        tenantId: tenant.id,
        details: { code: tenant.clientCode, kind },
      });
      await announce(tenant.id);
    });
    return { kind, removed: true };
  }

  /**
   * Re-seals every secret (TenantSecrets.rotate, in batches of its own transactions): recorded
   * once it finished, with how many it re-sealed.
   */
  async rotateSecretsKey(actor: PlatformActor): Promise<{ resealed: number; currentKeyId: string }> {
    const result = await this.deps.secrets.rotate();
    await recordPlatformChange(this.deps.platform, actor, 'secrets.rotate', { details: result });
    return result;
  }

  /** The audit log of platform changes (`GET /api/platform/audit`). */
  listAudit(query: AuditQuery): Promise<Page<AuditEntry>> {
    return listPlatformAudit(this.deps.platform, query);
  }

  async requireTenant(code: string): Promise<Tenant> {
    const tenant = await findTenantByCode(this.deps.platform, code.toLowerCase());
    if (!tenant) throw AppError.notFound('Tenant');
    return tenant;
  }
}

function issued(row: { id: string; label: string; prefix: string; scopes: string[] }) {
  return { id: row.id, label: row.label, prefix: row.prefix, scopes: row.scopes };
}
