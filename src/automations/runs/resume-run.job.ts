import type { JobContext } from '../../queue/job-types.js';
import { everyLead } from '../../auth/access.js';
import { PermanentJobError } from '../../queue/job-types.js';
import { toLead } from '../../leads/index.js';
import { selectLeads } from '../../leads/index.js';
import type { ResumeRunPayload } from '../engine/automation-session.js';
import {
  engineSession,
  loadEngineSettings,
  markEngineTransaction,
  type EngineServices,
} from '../engine/handle-event.js';
import { lockRun, runStateOf } from './run.repository.js';
import type { Action } from '../rules/rule.schemas.js';
import type { ActionOutcome } from './run.types.js';
import { inTenantTransaction } from '../../tenancy/unit-of-work.js';

/**
 * Continues a run after its `wait` (or its rule's delay) at the first internal action,
 * in one transaction like the event itself. The run row is locked and the action must
 * still be `scheduled`, so a retried or duplicated job continues the run once.
 */
export async function resumeRun(ctx: JobContext<ResumeRunPayload, EngineServices>) {
  const { handle, services } = ctx;
  const { runId, startIndex } = ctx.job.payload;
  const settings = await loadEngineSettings(handle);
  return inTenantTransaction(services, handle, async (unit) => {
    const { trx } = unit;
    await markEngineTransaction(trx);
    const row = await lockRun(trx, runId);
    if (!row) throw new PermanentJobError(`No automation run ${runId}`, 'not_found');
    if ((row.outcomes as ActionOutcome[])[startIndex]?.status !== 'scheduled') {
      return { resumed: false, jobIds: [] as string[] };
    }
    const event = await trx
      .selectFrom('automation_events')
      .select(['id', 'phone'])
      .where('id', '=', row.event_id)
      .executeTakeFirstOrThrow();
    const leadRow = row.lead_id
      ? await selectLeads(trx, everyLead).where('id', '=', row.lead_id).executeTakeFirst()
      : undefined;
    const session = engineSession(
      services,
      handle,
      unit,
      settings,
      { id: event.id, phone: event.phone },
      leadRow ? toLead(leadRow, settings.scoring.hotThreshold) : null,
    );
    await session.resume(runStateOf(row), row.rule_actions as Action[], startIndex, row.variables);
    await session.saveStartedRuns();
    return { resumed: true, jobIds: session.jobs.map((job) => job.id) };
  });
}
