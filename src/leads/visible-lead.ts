import type { Access } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { AppError } from '../http/app-error.js';
import type { LeadRow } from './lead.mapper.js';
import { requireLeadRow, requireLeadToChange } from './require-lead-row.js';

/**
 * A lead by uuid or reference that the caller may see (else the same 404 as an absent lead, so
 * ids do not leak); with `write`, one their `leads.write` reaches too (a lead they see but may
 * not change: 403). For use cases on what hangs off a lead (an email or a meeting about it):
 * `requireLeadRow` / `requireLeadToChange` with the caller's access.
 */
export function requireVisibleLead(
  db: TenantDb,
  access: Access,
  idOrRef: string,
  options: { write?: boolean; forUpdate?: boolean } = {},
): Promise<LeadRow> {
  return options.write
    ? requireLeadToChange(db, access, idOrRef, { forUpdate: options.forUpdate })
    : requireLeadRow(db, access.visibility('leads.read'), idOrRef, { forUpdate: options.forUpdate });
}

/** Refuses (403) a write on a record the caller sees but whose lead their `leads.write` does not reach. */
export function requireWritable(reached: boolean): void {
  if (!reached) {
    throw new AppError('forbidden', "Your role's leads.write does not reach this lead", {
      details: { permission: 'leads.write' },
    });
  }
}

/**
 * Refuses (403) a write that names no lead (an email or a meeting about nobody, a contact of no
 * lead) unless the caller's `leads.write` reaches every lead: such records are visible to scope
 * `all` only.
 */
export function requireTenantWideWrite(access: Access): void {
  if (!access.visibility('leads.write').all) {
    throw new AppError('forbidden', 'Name the lead this is about: your role writes only some leads', {
      details: { permission: 'leads.write' },
    });
  }
}
