import type { Request } from 'express';
import type { Access, Actor } from '../auth/access.js';
import { actorColumns } from '../auth/actors.js';
import { insertNote } from '../activity/index.js';
import { assertAgentsExist } from '../agents/index.js';
import { insertDealNote } from '../deals/index.js';
import { AppError } from '../http/app-error.js';
import { orNotFound } from '../http/or-not-found.js';
import { actingCallerOf, type ActingCaller } from '../http/request-context.js';
import { requireAssignable } from '../leads/index.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { breachMs, onStatusChange, retime, startClock, type SlaClock } from './sla-clock.js';
import { resolveSla, storedTerms } from './sla-terms.js';
import { clockOf, toTask, type TaskRow } from './task.mapper.js';
import { findTaskRow, slaCalendars } from './task.repository.js';
import type { CreateTaskInput, Task, UpdateTaskInput } from './task.schemas.js';
import { resolveTaskRecord } from './task-records.js';
import { settleTask } from './task-timers.js';
import {
  clockColumns,
  emitTasks,
  insertTasks,
  rereadTasks,
  scheduleTimers,
  slaColumns,
  statusAtDue,
  type TaskServices,
} from './task-writes.js';
import type { TaskStatus } from './tasks.tables.js';

/** Who changes tasks: the tenant, the actor, their access, their own agent profile (the default assignee). */
export type TaskContext = ActingCaller;

export const taskContextOf = (req: Request): TaskContext => actingCallerOf(req);

/** Refuses (403) a write on a task whose assignee the caller's `leads.write` does not reach. */
function requireWritable(access: Access, assigneeId: string | null): void {
  if (!access.reaches('leads.write', assigneeId)) {
    throw new AppError('forbidden', "Your role's leads.write does not reach this task", {
      details: { permission: 'leads.write' },
    });
  }
}

/** Giving a task to someone other than yourself is assigning work: it needs `leads.assign` reaching them. */
function requireAssignableTo(ctx: TaskContext, from: string | null, to: string | null): void {
  if (from === to) return;
  if (from === null && to !== null && to === ctx.ownAgentId) return;
  requireAssignable(ctx.access, from, to, 'unassigned tasks');
}

async function show(handle: TenantHandle, trx: TenantDb, row: TaskRow, now: Date): Promise<Task> {
  return toTask(row, now, await slaCalendars(handle, trx));
}

export async function createTask(
  services: TaskServices,
  ctx: TaskContext,
  input: CreateTaskInput,
): Promise<Task> {
  const { handle } = ctx;
  return inTenantTransaction(services, handle, async (unit) => {
    const now = new Date();
    const record = await resolveTaskRecord(unit.trx, ctx.access, input);
    const assigneeId =
      input.assigneeId === undefined ? (record.ownerAgentId ?? ctx.ownAgentId) : input.assigneeId;
    if (assigneeId) await assertAgentsExist(unit.trx, assigneeId, 'body.assigneeId');
    if (input.assigneeId !== undefined) requireAssignableTo(ctx, null, assigneeId);
    requireWritable(ctx.access, assigneeId);
    const sla = await resolveSla(handle, unit.trx, input, assigneeId);
    const [row] = await insertTasks(
      unit,
      handle,
      services,
      [
        {
          title: input.title,
          description: input.description ?? null,
          type: input.type,
          priority: input.priority,
          status: input.status,
          record,
          assigneeId,
          dueAt: input.dueAt ?? null,
          sla,
          actor: ctx.actor,
        },
      ],
      now,
    );
    return show(handle, unit.trx, row!, now);
  });
}

/** A task the caller sees (else 404) and may change (else 403), locked; closed tasks refuse changes (409). */
async function requireOpenTask(trx: TenantDb, ctx: TaskContext, idOrRef: string): Promise<TaskRow> {
  // One read, locked: what is checked is what the change starts from.
  const row = orNotFound(
    await findTaskRow(trx, ctx.access.visibility('leads.read'), idOrRef, { forUpdate: true }),
    'Task',
    { id: idOrRef },
  );
  requireWritable(ctx.access, row.assignee_agent_id);
  if (row.status === 'completed' || row.status === 'cancelled') {
    throw new AppError('invalid_status_transition', `The task is ${row.status}: it no longer changes`, {
      details: { status: row.status },
    });
  }
  return row;
}

export async function updateTask(
  services: TaskServices,
  ctx: TaskContext,
  idOrRef: string,
  input: UpdateTaskInput,
  completionNote?: string,
): Promise<Task> {
  const { handle } = ctx;
  return inTenantTransaction(services, handle, async (unit) => {
    const { trx } = unit;
    const now = new Date();
    const row = await requireOpenTask(trx, ctx, idOrRef);
    const assigneeId = input.assigneeId === undefined ? row.assignee_agent_id : input.assigneeId;
    if (input.assigneeId !== undefined && input.assigneeId !== row.assignee_agent_id) {
      if (assigneeId) await assertAgentsExist(trx, assigneeId, 'body.assigneeId');
      requireAssignableTo(ctx, row.assignee_agent_id, assigneeId);
    }

    // The SLA: replaced when asked (its time run so far kept), else as stored.
    let slaSet = {};
    let terms = await storedTerms(handle, trx, row);
    let clock: SlaClock | null = terms ? clockOf(row) : null;
    if (input.sla !== undefined || input.slaPolicyId !== undefined) {
      const sla = await resolveSla(
        handle,
        trx,
        {
          sla: input.sla,
          slaPolicyId: input.slaPolicyId,
          type: input.type ?? row.type,
          priority: input.priority ?? row.priority,
        },
        assigneeId,
      );
      slaSet = slaColumns(sla);
      if (!sla) {
        terms = null;
        clock = null;
      } else if (clock && terms) {
        terms = sla.terms;
        clock = retime(terms, clock, now);
      } else {
        terms = sla.terms;
        clock = startClock(terms, now, row.status);
        slaSet = { ...slaSet, sla_started_at: now };
      }
    }

    const dueAt = input.dueAt === undefined ? row.due_at : input.dueAt;
    const requested: TaskStatus = input.status ?? row.status;
    const status =
      requested === 'completed' || requested === 'cancelled' ? requested : statusAtDue(requested, dueAt, now);
    if (terms && clock && status !== row.status) clock = onStatusChange(terms, clock, status, now);
    const closing = status === 'completed' || status === 'cancelled';

    await trx
      .updateTable('tasks')
      .set({
        ...(input.title !== undefined ? { title: input.title } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.type !== undefined ? { type: input.type } : {}),
        ...(input.priority !== undefined ? { priority: input.priority } : {}),
        assignee_agent_id: assigneeId,
        due_at: dueAt,
        status,
        ...slaSet,
        ...(clock
          ? clockColumns(clock)
          : terms === null && Object.keys(slaSet).length > 0
            ? {
                sla_status: 'not_applicable' as const,
                sla_running_since: null,
                sla_at_risk_at: null,
                sla_deadline: null,
              }
            : {}),
        ...(status === 'completed'
          ? {
              completed_at: now,
              ...prefixed(actorColumns(ctx.actor)),
              completion_note: completionNote ?? null,
              sla_breach_ms:
                clock && terms && clock.breachedAt ? Math.round(breachMs(terms, clock, now)) : null,
            }
          : {}),
        ...(status === 'cancelled' ? { cancelled_at: now } : {}),
        updated_at: now,
      })
      .where('id', '=', row.id)
      .execute();

    if (status === 'completed' && completionNote) await noteOnRecord(trx, row, completionNote, ctx.actor);
    let [after] = await rereadTasks(trx, [row.id]);
    if (!closing) {
      // A change that put an instant in the past (a shorter SLA, an earlier due time) settles now.
      if ((await settleTask(unit, handle, services, after!, now)).length > 0)
        [after] = await rereadTasks(trx, [row.id]);
      await scheduleTimers(unit, handle, [after!], now);
    }
    await emitTasks(unit, handle, services, 'task.updated', [after!], now);
    return show(handle, trx, after!, now);
  });
}

function prefixed(columns: ReturnType<typeof actorColumns>) {
  return {
    completed_by: columns.actor,
    completed_by_type: columns.actor_type,
    completed_by_id: columns.actor_id,
  };
}

/** Completing with a note leaves the note on the task's lead or deal (a contact's: on its lead). */
async function noteOnRecord(trx: TenantDb, row: TaskRow, body: string, actor: Actor): Promise<void> {
  if (row.deal_id) {
    await insertDealNote(trx, row.deal_id, body, actor);
    return;
  }
  const leadId =
    row.lead_id ??
    (row.contact_id
      ? ((
          await trx
            .selectFrom('contacts')
            .select('lead_id')
            .where('id', '=', row.contact_id)
            .executeTakeFirst()
        )?.lead_id ?? null)
      : null);
  if (!leadId) return;
  const { actor: author, actor_type, actor_id } = actorColumns(actor);
  await insertNote(trx, { lead_id: leadId, body, author, author_type: actor_type, author_id: actor_id });
}

export function completeTask(services: TaskServices, ctx: TaskContext, idOrRef: string, note?: string) {
  return updateTask(services, ctx, idOrRef, { status: 'completed' }, note);
}

export async function deleteTask(services: TaskServices, ctx: TaskContext, idOrRef: string) {
  return inTenantTransaction(services, ctx.handle, async ({ trx }) => {
    const row = orNotFound(await findTaskRow(trx, ctx.access.visibility('leads.read'), idOrRef), 'Task', {
      id: idOrRef,
    });
    requireWritable(ctx.access, row.assignee_agent_id);
    await trx.deleteFrom('tasks').where('id', '=', row.id).execute();
    return { id: row.id, deleted: true as const };
  });
}
