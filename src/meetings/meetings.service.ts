import type { AppServices } from '../app/services.js';
import { recordChannelHealth } from '../channels/index.js';
import { AppError } from '../http/app-error.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { calendarClient, eventIdOf } from './google-calendar.js';
import { applyEvent } from './meeting-conference.js';
import type { CreateMeetingInput } from './meetings.schemas.js';
import { toMeeting } from './meetings.repository.js';
import { pollConferenceJobKind, pollDelayMs } from './poll-conference.job.js';

/**
 * Creates the Calendar event with a Meet conference. The event id and the conference
 * requestId both derive from our meeting id, so a retried insert never makes a second
 * meeting. A pending conference is finished by the poll job.
 */
/** The google secret and Calendar settings, dashboards, and the queue (for the poll job). */
export type MeetingServices = Pick<AppServices, 'secrets' | 'config' | 'realtime' | 'queue'>;

export async function createMeeting(
  services: MeetingServices,
  handle: TenantHandle,
  input: CreateMeetingInput,
) {
  const secret = await services.secrets.read(handle.tenant.id, 'google');
  if (!secret)
    throw new AppError('channel_not_configured', 'No Google credentials: set the google secret first');
  const { db } = handle;
  const meeting = await db
    .insertInto('meetings')
    .values({
      lead_id: input.leadId ?? null,
      title: input.title,
      start_at: input.start,
      end_at: input.end,
      attendees: JSON.stringify(input.attendees),
      calendar_id: secret.calendarId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();

  const calendar = calendarClient(services, secret);
  try {
    const { data: event } = await calendar.events.insert({
      calendarId: secret.calendarId,
      conferenceDataVersion: 1,
      sendUpdates: 'all',
      requestBody: {
        id: eventIdOf(meeting.id),
        summary: input.title,
        description: input.description,
        start: { dateTime: input.start.toISOString() },
        end: { dateTime: input.end.toISOString() },
        attendees: input.attendees.map((email) => ({ email })),
        conferenceData: {
          createRequest: { requestId: meeting.id, conferenceSolutionKey: { type: 'hangoutsMeet' } },
        },
      },
    });
    await recordChannelHealth(db, 'google', true);
    const state = await applyEvent(services, handle, meeting.id, event);
    if (state === 'pending') {
      await services.queue.enqueue(
        handle.tenant.id,
        pollConferenceJobKind,
        { meetingId: meeting.id },
        { runAt: new Date(Date.now() + pollDelayMs), idempotencyKey: `meeting-poll:${meeting.id}` },
      );
    }
  } catch (error) {
    const message = (error as Error).message;
    if (isCredentialError(error)) await recordChannelHealth(db, 'google', false, message);
    await db
      .updateTable('meetings')
      .set({ status: 'failed', error: message, updated_at: new Date() })
      .where('id', '=', meeting.id)
      .execute();
    throw new AppError('provider_error', `Google Calendar refused the meeting: ${message}`, {
      details: { meetingId: meeting.id },
      cause: error,
    });
  }
  return toMeeting(
    await db.selectFrom('meetings').selectAll().where('id', '=', meeting.id).executeTakeFirstOrThrow(),
  );
}

/** Google refused who we are (revoked refresh token, wrong key), not what we asked. */
function isCredentialError(error: unknown): boolean {
  const status = (error as { status?: number; response?: { status?: number } }).response?.status;
  return (
    status === 401 || status === 403 || /invalid_grant|unauthorized_client/.test((error as Error).message)
  );
}
