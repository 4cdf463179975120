import { sql } from 'kysely';
import type { Visibility } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { leadVisibleTo } from '../leads/index.js';
import type { DealRow } from './deal.mapper.js';

/**
 * Whether the deal sat in its stage longer than the stage's rotting threshold, counted from its
 * stage entry or its last activity, whichever is later (on a query joining `pipeline_stages as stage`).
 */
export const dealRotting = sql<boolean>`coalesce(stage.rotting_days is not null
  and greatest(deals.stage_entered_at, deals.last_activity_at) < now() - stage.rotting_days * interval '1 day', false)`;

/** The deal's columns with its pipeline, stage and owner, read in the same statement. */
const dealColumns = [
  'deals.id',
  'deals.number',
  'deals.title',
  'deals.pipeline_id',
  'deals.stage_id',
  'deals.stage_entered_at',
  'deals.lead_id',
  'deals.contact_id',
  'deals.owner_agent_id',
  'deals.amount',
  'deals.currency',
  'deals.probability',
  'deals.expected_close_date',
  'deals.follow_up_at',
  'deals.status',
  'deals.close_reason',
  'deals.closed_at',
  'deals.tags',
  'deals.custom_fields',
  'deals.last_activity_at',
  'deals.created_at',
  'deals.updated_at',
  'pipeline.number as pipeline_number',
  'pipeline.name as pipeline_name',
  'stage.name as stage_name',
  'stage.position as stage_position',
  'stage.outcome as stage_outcome',
  'stage.probability as stage_probability',
  'deals.owner_agent_id',
] as const;

/**
 * The deals `visibility` reaches (by their owner, as leads by theirs: the one visibility filter),
 * with their pipeline and stage joined for `dealSelection`. Every read of deals starts here.
 */
export function selectDeals(db: TenantDb, visibility: Visibility) {
  return db
    .selectFrom('deals')
    .innerJoin('pipeline_stages as stage', 'stage.id', 'deals.stage_id')
    .innerJoin('pipelines as pipeline', 'pipeline.id', 'deals.pipeline_id')
    .select(dealColumns)
    .select((eb) => [
      eb
        .selectFrom('agents')
        .select('agents.name')
        .whereRef('agents.id', '=', 'deals.owner_agent_id')
        .as('owner_name'),
      dealRotting.as('rotting'),
    ])
    .where(leadVisibleTo(visibility, 'deals.owner_agent_id'));
}

/** A deal by uuid or reference (`D-12`) among those `visibility` reaches; undefined when absent or invisible. */
export async function findDealRow(
  db: TenantDb,
  visibility: Visibility,
  idOrRef: string,
): Promise<DealRow | undefined> {
  const ref = /^D-(\d{1,15})$/i.exec(idOrRef);
  const query = selectDeals(db, visibility);
  const row = await (
    ref ? query.where('deals.number', '=', ref[1]!) : query.where('deals.id', '=', idOrRef)
  ).executeTakeFirst();
  return row as DealRow | undefined;
}
