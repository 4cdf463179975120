import type { TenantDb } from '../../db/tenant-database.js';
import { AppError } from '../../http/app-error.js';
import { orNotFound } from '../../http/or-not-found.js';

export interface DashboardPipeline {
  id: string;
  kind: 'lead' | 'deal';
  name: string;
  stages: { id: string; name: string; position: number; outcome: 'won' | 'lost' | null }[];
}

/** The lead or deal pipeline named, else the tenant's default deal pipeline, with its stages in order. */
export async function dashboardPipeline(
  db: TenantDb,
  pipelineId: string | undefined,
): Promise<DashboardPipeline> {
  let query = db.selectFrom('pipelines').select(['id', 'kind', 'name']).where('kind', 'in', ['lead', 'deal']);
  query = pipelineId
    ? query.where('id', '=', pipelineId)
    : query.where('kind', '=', 'deal').where('is_default', '=', true).where('archived_at', 'is', null);
  const pipeline = await query.executeTakeFirst();
  if (!pipeline && !pipelineId) {
    throw AppError.invalidFields([
      { path: 'query.pipelineId', message: 'The tenant has no default deal pipeline: name a pipeline' },
    ]);
  }
  const found = orNotFound(pipeline, 'Lead or deal pipeline', { id: pipelineId });
  const stages = await db
    .selectFrom('pipeline_stages')
    .select(['id', 'name', 'position', 'outcome'])
    .where('pipeline_id', '=', found.id)
    .orderBy('position')
    .execute();
  return { id: found.id, kind: found.kind as 'lead' | 'deal', name: found.name, stages };
}

/** The list of a pipeline's records, the owner column and its parameter (deals: ownerId, leads: agentId). */
export function recordsOf(kind: 'lead' | 'deal'): {
  path: string;
  table: 'deals' | 'leads';
  owner: string;
  ownerParameter: 'ownerId' | 'agentId';
  extra: Record<string, string>;
} {
  return kind === 'deal'
    ? ({
        path: '/api/crm/deals',
        table: 'deals',
        owner: 'owner_agent_id',
        ownerParameter: 'ownerId',
        extra: {},
      } as const)
    : ({
        path: '/api/crm/leads',
        table: 'leads',
        owner: 'assigned_agent_id',
        ownerParameter: 'agentId',
        extra: { archived: 'all' },
      } as const);
}
