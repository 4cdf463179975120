import type { AppServices } from '../app/services.js';
import type { JobContext, JobKind, JobPayloads } from '../queue/job-types.js';
import { PermanentJobError, RetryLaterError } from '../queue/job-types.js';
import { calendarClient } from './google-calendar.js';
import { applyEvent } from './meeting-conference.js';

export const pollConferenceJobKind = 'meetings.poll_conference' as const satisfies JobKind;
export const pollDelayMs = 2000;

/** Asks Calendar again until the Meet conference of a pending meeting is created or has failed. */
type PollConferenceContext = JobContext<
  JobPayloads['meetings.poll_conference'],
  Pick<AppServices, 'secrets' | 'config' | 'realtime'>
>;

export async function pollConference(ctx: PollConferenceContext): Promise<{ state: string }> {
  const { db, tenant } = ctx.handle;
  const meeting = await db
    .selectFrom('meetings')
    .select(['id', 'status', 'calendar_id', 'calendar_event_id'])
    .where('id', '=', ctx.job.payload.meetingId)
    .executeTakeFirst();
  if (!meeting?.calendar_event_id || !meeting.calendar_id) {
    throw new PermanentJobError('No calendar event for this meeting', 'not_found');
  }
  if (meeting.status !== 'pending') return { state: meeting.status };
  const secret = await ctx.services.secrets.read(tenant.id, 'google');
  if (!secret) throw new PermanentJobError('Google is not configured for this tenant', 'not_configured');
  const { data } = await calendarClient(ctx.services, secret).events.get({
    calendarId: meeting.calendar_id,
    eventId: meeting.calendar_event_id,
  });
  const state = await applyEvent(ctx.services, ctx.handle, meeting.id, data);
  if (state === 'pending') throw new RetryLaterError('Meet conference still pending', pollDelayMs);
  return { state };
}
