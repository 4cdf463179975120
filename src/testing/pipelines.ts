import type { PipelineMode, StageOutcome } from '../pipelines/index.js';
import { tenantHandle } from './job-context.js';
import type { TestApp, TestTenant } from './test-app.js';

export interface TestStage {
  name: string;
  probability?: number;
  rottingDays?: number | null;
  requiredFields?: string[];
  outcome?: StageOutcome | null;
}

export interface TestPipeline {
  id: string;
  /** The stages' ids, in order. */
  stageIds: string[];
  stages: Record<string, string>;
}

/**
 * A deal pipeline straight into the tenant's schema (the pipelines API lands separately): stages
 * in the given order; default stages Lead, Qualified, Proposal, Won (won), Lost (lost).
 */
export async function addTestDealPipeline(
  t: TestApp,
  tenant: TestTenant,
  options: { name?: string; mode?: PipelineMode; isDefault?: boolean; stages?: TestStage[] } = {},
): Promise<TestPipeline> {
  const { db } = await tenantHandle(t, tenant.tenant.id);
  const stages = options.stages ?? [
    { name: 'Lead', probability: 10 },
    { name: 'Qualified', probability: 30 },
    { name: 'Proposal', probability: 60 },
    { name: 'Won', probability: 100, outcome: 'won' },
    { name: 'Lost', probability: 0, outcome: 'lost' },
  ];
  const pipeline = await db
    .insertInto('pipelines')
    .values({
      kind: 'deal',
      name: options.name ?? `Deals ${Math.random().toString(36).slice(2, 8)}`,
      mode: options.mode ?? 'forward_only',
      is_default: options.isDefault ?? false,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const rows = await db
    .insertInto('pipeline_stages')
    .values(
      stages.map((stage, i) => ({
        pipeline_id: pipeline.id,
        position: i + 1,
        name: stage.name,
        probability: stage.probability ?? 0,
        rotting_days: stage.rottingDays ?? null,
        required_fields: stage.requiredFields ?? [],
        outcome: stage.outcome ?? null,
      })),
    )
    .returning(['id', 'name', 'position'])
    .execute();
  rows.sort((a, b) => a.position - b.position);
  return {
    id: pipeline.id,
    stageIds: rows.map((row) => row.id),
    stages: Object.fromEntries(rows.map((row) => [row.name, row.id])),
  };
}
