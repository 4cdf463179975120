import type { TenantDb } from '../db/tenant-database.js';
import { AppError } from '../http/app-error.js';
import type { LeadRow } from './lead.mapper.js';

const leadColumns = [
  'id',
  'number',
  'first_name',
  'last_name',
  'phone',
  'email',
  'company',
  'source',
  'city',
  'state',
  'pincode',
  'language',
  'status',
  'tags',
  'score',
  'follow_up_at',
  'custom_fields',
  'assigned_agent_id',
  'assigned_at',
  'unassigned_reason',
  'contact_id',
  'archived_at',
  'created_at',
  'updated_at',
] as const;

export function selectLeads(db: TenantDb) {
  return db.selectFrom('leads').select(leadColumns);
}

/** A lead by uuid or by reference (`LD-100001`), optionally locked for update. */
export async function findLeadRow(
  db: TenantDb,
  idOrRef: string,
  options: { forUpdate?: boolean } = {},
): Promise<LeadRow> {
  const ref = /^LD-(\d+)$/i.exec(idOrRef);
  let query = ref
    ? selectLeads(db).where('number', '=', Number(ref[1]))
    : selectLeads(db).where('id', '=', idOrRef);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw AppError.notFound('Lead', { id: idOrRef });
  return row;
}

export async function assertAgentExists(db: TenantDb, agentId: string, field: string): Promise<void> {
  const agent = await db.selectFrom('agents').select('id').where('id', '=', agentId).executeTakeFirst();
  if (!agent) {
    throw new AppError('validation_failed', 'The request is not valid', {
      details: [{ path: field, message: `Unknown agent ${agentId}` }],
    });
  }
}
