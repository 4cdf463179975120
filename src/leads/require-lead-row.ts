import type { TenantDb } from '../db/tenant-database.js';
import { orNotFound } from '../http/or-not-found.js';
import type { LeadRow } from './lead.mapper.js';
import { findLeadRow } from './lead.repository.js';

/** A lead by uuid or by reference (`LD-100001`), optionally locked for update, or a 404 naming it. */
export async function requireLeadRow(
  db: TenantDb,
  idOrRef: string,
  options: { forUpdate?: boolean } = {},
): Promise<LeadRow> {
  return orNotFound(await findLeadRow(db, idOrRef, options), 'Lead', { id: idOrRef });
}
