import type { Selectable } from 'kysely';
import { z } from 'zod';
import { createMeeting, type MeetingServices } from '../../meetings/index.js';
import type { MeetingsTable } from '../../meetings/index.js';
import { pollDelayMs } from '../../meetings/index.js';
import type { AppServices } from '../../app/services.js';
import type { JobContext } from '../../queue/job-types.js';
import { PermanentJobError, RetryLaterError } from '../../queue/job-types.js';
import { resumeRunJobKind, type ResumeRunPayload } from '../engine/automation-session.js';
import { asJobError, channelNotConfigured } from './channel-action-errors.js';
import type { CreateMeetLinkPayload } from './external-actions.js';
import {
  ActionAlreadyRecorded,
  actionDetail,
  lockRun,
  recordActionDetailOnce,
  runStateOf,
  saveRun,
} from '../runs/run.repository.js';
import { inTenantTransaction } from '../../tenancy/unit-of-work.js';

/** What creating the meeting needs, and the unit of work that queues the run's resumption. */
type Ctx = JobContext<CreateMeetLinkPayload, MeetingServices & Pick<AppServices, 'servers'>>;

/**
 * Creates the Meet meeting for the event's lead (meetings component: Calendar event with a
 * Meet conference) and makes it readable by the run's later actions: the meeting is stored
 * on the action's outcome and, when the actions after it wait for it (they are `scheduled`,
 * see AutomationSession.awaitMeeting), the run is resumed after it, where `{{meet.link}}`
 * renders. A conference Google is still creating is checked again later; a meeting that
 * cannot be made (or is still not ready at the last attempt) fails the action and skips
 * the actions that waited for it.
 */
export async function createMeetLink(ctx: Ctx) {
  try {
    const meetingId = await meetingOfAction(ctx);
    const meeting = await ctx.handle.db
      .selectFrom('meetings')
      .selectAll()
      .where('id', '=', meetingId)
      .executeTakeFirst();
    if (!meeting || meeting.status === 'failed') {
      throw new PermanentJobError(`The meeting failed: ${meeting?.error ?? 'not found'}`, 'meeting_failed');
    }
    if (meeting.status === 'pending') {
      throw new RetryLaterError('Google is still creating the Meet conference', pollDelayMs);
    }
    return await continueRun(ctx, meeting);
  } catch (error) {
    const jobError = asJobError(error);
    if (jobError instanceof PermanentJobError) await failAction(ctx, jobError);
    else if (ctx.job.attempt >= ctx.job.maxAttempts) {
      // The queue gives up after this attempt: the run must not wait for the meeting forever.
      await failAction(ctx, new PermanentJobError((jobError as Error).message, 'meeting_not_ready'));
    }
    throw jobError;
  }
}

/** The action's meeting: the one an earlier attempt created, or a new one. */
async function meetingOfAction(ctx: Ctx): Promise<string> {
  const { services, handle } = ctx;
  const { runId, actionIndex, leadId, title, startAt, durationMinutes, attendees } = ctx.job.payload;
  const recorded = await actionDetail(handle.db, runId, actionIndex);
  if (typeof recorded?.meetingId === 'string') return recorded.meetingId;
  if (!(await services.secrets.read(handle.tenant.id, 'google'))) throw channelNotConfigured('Google Meet');
  const invalid = attendees.filter((address) => !z.email().safeParse(address).success);
  if (invalid.length > 0) {
    throw new PermanentJobError(
      `Attendees are not email addresses: ${invalid.join(', ')}`,
      'invalid_attendees',
    );
  }
  const start = new Date(startAt);
  const meeting = await createMeeting(services, handle, {
    leadId: leadId ?? undefined,
    title,
    start,
    end: new Date(start.getTime() + durationMinutes * 60_000),
    attendees,
  });
  try {
    await handle.db
      .transaction()
      .execute((trx) =>
        recordActionDetailOnce(trx, runId, actionIndex, 'meetingId', { meetingId: meeting.id }),
      );
  } catch (error) {
    if (!(error instanceof ActionAlreadyRecorded)) throw error;
  }
  return meeting.id;
}

/** Stores the ready meeting on the outcome and resumes the actions that waited for it. */
async function continueRun(ctx: Ctx, meeting: Selectable<MeetingsTable>) {
  const { services, handle } = ctx;
  const { runId, actionIndex } = ctx.job.payload;
  const resumeJobId = await inTenantTransaction(services, handle, async ({ trx, enqueue }) => {
    const row = await lockRun(trx, runId);
    if (!row) throw new PermanentJobError(`No automation run ${runId}`, 'not_found');
    const run = runStateOf(row);
    const outcome = run.outcomes[actionIndex]!;
    outcome.detail = {
      ...outcome.detail,
      meetingId: meeting.id,
      link: meeting.hangout_link,
      start: meeting.start_at.toISOString(),
      end: meeting.end_at.toISOString(),
    };
    const next = run.outcomes[actionIndex + 1];
    if (next?.status === 'scheduled' && next.detail?.awaiting === 'create_meet_link' && !next.jobId) {
      const payload: ResumeRunPayload = { runId, startIndex: actionIndex + 1 };
      const [job] = await enqueue({
        tenantId: handle.tenant.id,
        kind: resumeRunJobKind,
        payload,
        options: { idempotencyKey: `automation:${runId}:resume:${actionIndex + 1}` },
      });
      Object.assign(next, { jobId: job!.id, jobKind: resumeRunJobKind, runAt: new Date().toISOString() });
      run.jobIds.push(job!.id);
    }
    await saveRun(trx, run, row.lead_id);
    return next?.jobId ?? null;
  });
  return { meetingId: meeting.id, link: meeting.hangout_link, resumeJobId };
}

/** The action failed for good: the run fails and the actions waiting for the meeting are skipped. */
async function failAction(ctx: Ctx, error: PermanentJobError) {
  const { runId, actionIndex } = ctx.job.payload;
  await ctx.handle.db.transaction().execute(async (trx) => {
    const row = await lockRun(trx, runId);
    if (!row) return;
    const run = runStateOf(row);
    const next = run.outcomes[actionIndex + 1];
    if (next?.status !== 'scheduled' || next.detail?.awaiting !== 'create_meet_link' || next.jobId) return;
    run.outcomes[actionIndex] = {
      ...run.outcomes[actionIndex]!,
      status: 'failed',
      error: { code: error.code, message: error.message },
    };
    for (const outcome of run.outcomes.slice(actionIndex + 1)) {
      if (outcome.status === 'scheduled') outcome.status = 'skipped';
    }
    run.status = 'failed';
    await saveRun(trx, run, row.lead_id);
  });
}
