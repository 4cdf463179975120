import type { calendar_v3 } from 'googleapis';
import type { AppServices } from '../app/services.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';

export type ConferenceState = 'pending' | 'success' | 'failure';

export function conferenceStateOf(event: calendar_v3.Schema$Event): ConferenceState {
  const code = event.conferenceData?.createRequest?.status?.statusCode;
  return code === 'success' || code === 'failure' ? code : 'pending';
}

/** Records what Calendar says about the meeting's event; emits `meeting.created` once the link exists. */
export async function applyEvent(
  services: Pick<AppServices, 'realtime'>,
  handle: TenantHandle,
  meetingId: string,
  event: calendar_v3.Schema$Event,
): Promise<ConferenceState> {
  const state = conferenceStateOf(event);
  const entryPoints = event.conferenceData?.entryPoints ?? null;
  const hangoutLink =
    event.hangoutLink ?? entryPoints?.find((entry) => entry.entryPointType === 'video')?.uri ?? null;
  const updated = await handle.db
    .updateTable('meetings')
    .set({
      calendar_event_id: event.id ?? null,
      html_link: event.htmlLink ?? null,
      status: state === 'success' ? 'ready' : state === 'failure' ? 'failed' : 'pending',
      hangout_link: state === 'success' ? hangoutLink : null,
      entry_points: entryPoints ? JSON.stringify(entryPoints) : null,
      error: state === 'failure' ? 'Google could not create the Meet conference' : null,
      updated_at: new Date(),
    })
    .where('id', '=', meetingId)
    .where('status', '=', 'pending')
    .returning(['id', 'lead_id', 'hangout_link', 'start_at', 'end_at', 'title'])
    .executeTakeFirst();
  if (updated && state === 'success') {
    // To the sockets that see the meeting's lead (a meeting of no lead: the tenant room only).
    const owner = updated.lead_id
      ? await handle.db
          .selectFrom('leads')
          .select('assigned_agent_id')
          .where('id', '=', updated.lead_id)
          .executeTakeFirst()
      : undefined;
    services.realtime.emitForLead(handle.tenant.id, owner?.assigned_agent_id ?? null, 'meeting.created', {
      meetingId: updated.id,
      leadId: updated.lead_id,
      title: updated.title,
      hangoutLink: updated.hangout_link,
      startAt: updated.start_at,
      endAt: updated.end_at,
    });
  }
  return state;
}
