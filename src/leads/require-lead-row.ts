import type { Access, Visibility } from '../auth/access.js';
import type { RecordPermission } from '../auth/permissions.js';
import type { TenantDb } from '../db/tenant-database.js';
import { AppError } from '../http/app-error.js';
import { orNotFound } from '../http/or-not-found.js';
import type { LeadRow } from './lead.mapper.js';
import { findLeadRow } from './lead.repository.js';

/**
 * A lead by uuid or by reference (`LD-100001`) that `visibility` reaches, optionally locked for
 * update, or a 404 naming it: an invisible lead answers exactly as a missing one (never 403).
 */
export async function requireLeadRow(
  db: TenantDb,
  visibility: Visibility,
  idOrRef: string,
  options: { forUpdate?: boolean } = {},
): Promise<LeadRow> {
  return orNotFound(await findLeadRow(db, visibility, idOrRef, options), 'Lead', { id: idOrRef });
}

/**
 * A lead the caller is about to change: 404 when they cannot see it (as if it did not exist),
 * 403 when they see it but `permission` (`leads.write` by default) does not reach it.
 */
export async function requireLeadToChange(
  db: TenantDb,
  access: Access,
  idOrRef: string,
  options: { forUpdate?: boolean; permission?: RecordPermission } = {},
): Promise<LeadRow> {
  const permission = options.permission ?? 'leads.write';
  const row = await requireLeadRow(db, access.visibility('leads.read'), idOrRef, options);
  if (!access.reaches(permission, row.assigned_agent_id)) {
    throw new AppError('forbidden', `Your role's '${permission}' permission does not reach this lead`, {
      details: { permission, id: row.id },
    });
  }
  return row;
}
