import { z } from 'zod';
import { pageQuery, pageSchema } from '../http/pagination.js';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { orNotFound } from '../http/or-not-found.js';
import { callerOf } from '../http/request-context.js';
import { createMeetingBody, meetingSchema } from './meetings.schemas.js';
import { findMeeting, listMeetings } from './meetings.repository.js';
import { createMeeting } from './meetings.service.js';
import { requireTenantWideWrite, requireVisibleLead } from '../leads/index.js';

export function registerMeetingRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/meetings',
      summary: 'Schedule a Google Meet meeting (Calendar event with a Meet conference)',
      tag: 'Meetings',
      body: createMeetingBody,
      response: meetingSchema,
      errors: { 404: 'No such lead', 409: 'Google not configured', 502: 'Google Calendar refused' },
      handler: async ({ req, body }) => {
        const { handle, access } = callerOf(req);
        // About a lead: one the caller may write (404 unseen, 403 unwritable); else a tenant-wide writer only.
        if (body.leadId) await requireVisibleLead(handle.db, access, body.leadId, { write: true });
        else requireTenantWideWrite(access);
        return createMeeting(services, handle, body);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/meetings',
      summary: 'Meetings, soonest first, optionally of one lead',
      tag: 'Meetings',
      query: z.object({ leadId: z.uuid().optional(), ...pageQuery }),
      response: pageSchema(meetingSchema),
      handler: ({ req, query }) => {
        const { handle, access } = callerOf(req);
        return listMeetings(handle.db, query, access.visibility('leads.read'));
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/meetings/:id',
      summary: 'One meeting with its Meet link once ready',
      tag: 'Meetings',
      params: z.object({ id: z.uuid() }),
      response: meetingSchema,
      errors: { 404: 'No such meeting' },
      handler: async ({ req, params }) => {
        const { handle, access } = callerOf(req);
        return orNotFound(
          await findMeeting(handle.db, params.id, access.visibility('leads.read')),
          'Meeting',
        );
      },
    });
}
