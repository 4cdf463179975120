import { z } from 'zod';
import type { PlatformActor } from '../auth/platform-auth.js';
import type { PlatformDb } from '../db/platform-database.js';
import { AppError } from '../http/app-error.js';
import { pageOf, pageQuery, type Keyset, type Page } from '../http/pagination.js';
import { findTenantByCode } from '../tenancy/tenant-registry.js';

/** What `platform.audit_log` records: every platform change, each with its actor. */
export type PlatformAction =
  | 'tenant.create'
  | 'tenant.update'
  | 'tenant.suspend'
  | 'tenant.resume'
  | 'key.create'
  | 'key.revoke'
  | 'key.update'
  | 'secret.put'
  | 'secret.delete'
  | 'secrets.rotate'
  | 'staff.create'
  | 'staff.update';

/**
 * Records a platform change. Called with the transaction that makes the change, so the record
 * and the change commit (or roll back) together. `details` never holds a secret's value or a
 * password.
 */
export async function recordPlatformChange(
  db: PlatformDb,
  actor: PlatformActor,
  action: PlatformAction,
  target: { tenantId?: string | null; details?: Record<string, unknown> } = {},
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      actor_type: actor.type,
      actor_id: actor.id,
      actor_name: actor.name,
      action,
      tenant_id: target.tenantId ?? null,
      details: JSON.stringify(target.details ?? {}),
    })
    .execute();
}

export const auditQuery = z.object({
  ...pageQuery,
  tenant: z.string().trim().toLowerCase().min(1).max(40).optional().describe('client code'),
  actorType: z.enum(['staff_user', 'admin_token', 'cli']).optional(),
  actorId: z.uuid().optional().describe("a staff user's id"),
  action: z.string().min(1).max(40).optional(),
});
export type AuditQuery = z.infer<typeof auditQuery>;

export const auditEntrySchema = z.object({
  id: z.string(),
  at: z.date(),
  actor: z.object({
    type: z.enum(['staff_user', 'admin_token', 'cli']),
    id: z.uuid().nullable(),
    name: z.string(),
  }),
  action: z.string(),
  tenant: z.object({ id: z.uuid(), clientCode: z.string().nullable() }).nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

const auditKeyset: Keyset = { list: 'platform_audit', columns: [['a.id', 'bigint']], direction: 'desc' };

/** A page of the platform audit log, newest first, filtered by tenant code, actor and action. */
export async function listPlatformAudit(platform: PlatformDb, query: AuditQuery): Promise<Page<AuditEntry>> {
  let tenantId: string | undefined;
  if (query.tenant) {
    const tenant = await findTenantByCode(platform, query.tenant);
    if (!tenant) throw AppError.notFound('Tenant', { tenant: query.tenant });
    tenantId = tenant.id;
  }
  let select = platform
    .selectFrom('audit_log as a')
    .leftJoin('tenants as t', 't.id', 'a.tenant_id')
    .select([
      'a.id',
      'a.at',
      'a.actor_type',
      'a.actor_id',
      'a.actor_name',
      'a.action',
      'a.tenant_id',
      'a.details',
      't.client_code',
    ]);
  if (tenantId) select = select.where('a.tenant_id', '=', tenantId);
  if (query.actorType) select = select.where('a.actor_type', '=', query.actorType);
  if (query.actorId) select = select.where('a.actor_id', '=', query.actorId);
  if (query.action) select = select.where('a.action', '=', query.action);
  return pageOf(select, auditKeyset, query, (row) => ({
    id: String(row.id),
    at: row.at,
    actor: { type: row.actor_type, id: row.actor_id, name: row.actor_name },
    action: row.action,
    tenant: row.tenant_id ? { id: row.tenant_id, clientCode: row.client_code ?? null } : null,
    details: (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<
      string,
      unknown
    >,
  }));
}
