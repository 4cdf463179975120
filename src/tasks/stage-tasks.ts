import { sql } from 'kysely';
import type { Actor } from '../auth/access.js';
import { addBusinessTime, calendarForAgent, durationMsOf, workingCalendarOf } from '../calendars/index.js';
import type { StageEntered, StageTaskTemplate } from '../pipelines/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { OpenUnit } from '../tenancy/unit-of-work.js';
import { cancelTasks, lockOpenTasks } from './cancel-tasks.js';
import { resolveSla } from './sla-terms.js';
import { noRecord, type TaskRecord } from './task-records.js';
import { insertTasks, type NewTask, type TaskServices } from './task-writes.js';

interface EntryWork {
  recordId: string;
  stageId: string;
  fromStageId: string | null;
  templates: StageTaskTemplate[];
  cancelFrom: boolean;
  ownerAgentId: string | null;
}

const ownerOf = {
  lead: (t: (name: string) => ReturnType<typeof sql.id>) =>
    sql`(select assigned_agent_id from ${t('leads')} where id = e.record_id)`,
  deal: (t: (name: string) => ReturnType<typeof sql.id>) =>
    sql`(select owner_agent_id from ${t('deals')} where id = e.record_id)`,
  contact: (t: (name: string) => ReturnType<typeof sql.id>) =>
    sql`(select l.assigned_agent_id from ${t('contacts')} c join ${t('leads')} l on l.id = c.lead_id
      where c.id = e.record_id)`,
};

/**
 * Task workflows (`pipelines.stage_entered`, in the entering transaction): leaving a stage whose
 * `cancel_tasks_on_exit` holds cancels the record's open tasks that stage's templates made;
 * entering a stage makes one task per template for the record's owner at entry (a later change
 * of owner does not move them), with the template's SLA (else the matching policy's) and a due
 * time `dueIn` of business time on the owner's calendar after entry. One query when no stage
 * involved has templates or cancels (a lead ingest into a plain pipeline).
 */
export async function onStageEntered(open: OpenUnit, event: StageEntered): Promise<void> {
  const { unit, handle } = open;
  const t = (name: string) => sql.id(handle.schema, name);
  const entries = event.entries.map((entry) => ({
    record_id: entry.recordId,
    stage_id: entry.stageId,
    from_stage_id: entry.fromStageId,
  }));
  const { rows } = await sql<EntryWork>`
    select e.record_id as "recordId", e.stage_id as "stageId", e.from_stage_id as "fromStageId",
      coalesce(s.task_templates, '[]'::jsonb) as templates,
      coalesce(f.cancel_tasks_on_exit, false) as "cancelFrom",
      ${ownerOf[event.kind](t)} as "ownerAgentId"
    from jsonb_to_recordset(${JSON.stringify(entries)}::jsonb)
      as e (record_id uuid, stage_id uuid, from_stage_id uuid)
    left join ${t('pipeline_stages')} s on s.id = e.stage_id
    left join ${t('pipeline_stages')} f on f.id = e.from_stage_id
    where jsonb_array_length(s.task_templates) > 0 or f.cancel_tasks_on_exit`.execute(unit.trx);
  if (rows.length === 0) return;

  const services = open.deps as Partial<TaskServices>;
  const now = new Date();
  const column = event.kind === 'lead' ? 'lead_id' : event.kind === 'deal' ? 'deal_id' : 'contact_id';
  for (const row of rows) {
    if (!row.cancelFrom || !row.fromStageId) continue;
    const leaving = await lockOpenTasks(unit, {
      record: column,
      recordId: row.recordId,
      stageId: row.fromStageId,
    });
    await cancelTasks(unit, handle, services, leaving, now);
  }
  const tasks: NewTask[] = [];
  const dueFrom = dueOnOwnersCalendar(handle, open, now);
  for (const row of rows) {
    for (const template of row.templates) {
      const record: TaskRecord = {
        ...noRecord,
        ownerAgentId: row.ownerAgentId,
        [recordKey[event.kind]]: row.recordId,
      };
      tasks.push(await templateTask(handle, open, template, record, row.stageId, event.actor, dueFrom));
    }
  }
  await insertTasks(unit, handle, services, tasks, now);
}

const recordKey = { lead: 'leadId', deal: 'dealId', contact: 'contactId' } as const;

/** Due times `dueIn` after `now` on each owner's calendar (read once per owner). */
function dueOnOwnersCalendar(handle: TenantHandle, open: OpenUnit, now: Date) {
  const calendars = new Map<string | null, ReturnType<typeof workingCalendarOf>>();
  return async (ownerAgentId: string | null, dueIn: string): Promise<Date> => {
    let calendar = calendars.get(ownerAgentId);
    if (!calendar) {
      calendar = workingCalendarOf(await calendarForAgent(handle, ownerAgentId, open.unit.trx));
      calendars.set(ownerAgentId, calendar);
    }
    return addBusinessTime(calendar, now, durationMsOf(dueIn) ?? 0);
  };
}

async function templateTask(
  handle: TenantHandle,
  open: OpenUnit,
  template: StageTaskTemplate,
  record: TaskRecord,
  stageId: string,
  actor: Actor,
  dueFrom: (ownerAgentId: string | null, dueIn: string) => Promise<Date>,
): Promise<NewTask> {
  const owner = record.ownerAgentId;
  const sla = await resolveSla(
    handle,
    open.unit.trx,
    { sla: template.sla ?? undefined, type: template.type, priority: template.priority },
    owner,
  );
  return {
    title: template.title,
    description: template.description,
    type: template.type,
    priority: template.priority,
    status: 'pending',
    record,
    assigneeId: owner,
    dueAt: template.dueIn ? await dueFrom(owner, template.dueIn) : null,
    sla,
    stageId,
    templateKey: template.key,
    actor,
  };
}
