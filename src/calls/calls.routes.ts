import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { AppError } from '../http/app-error.js';
import { orNotFound } from '../http/or-not-found.js';
import { pageQuery, pageSchema } from '../http/pagination.js';
import { actingCallerOf, callerOf } from '../http/request-context.js';
import { clickToCall, recordDisposition } from './call-actions.js';
import { toCall } from './call.mapper.js';
import { findCallRow, listCalls } from './call.repository.js';
import {
  callIdParams,
  callListQuerySchema,
  callSchema,
  clickToCallSchema,
  dispositionSchema,
} from './call.schemas.js';

const tag = 'Calls';
/** Signed recording links live this long. */
const recordingUrlTtlSeconds = 300;

export function registerCallRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/calls',
      tag,
      summary:
        'The call log (filters: lead, agent, outcome, status, direction, mode, campaign, abandoned, date range)',
      query: callListQuerySchema.extend(pageQuery),
      response: pageSchema(callSchema, { total: true }),
      handler: ({ req, query }) => {
        const { handle, access } = callerOf(req);
        return listCalls(handle.db, access.visibility('leads.read'), query);
      },
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/calls',
      tag,
      summary: "Click-to-call: ring the salesperson's phone, then the lead's",
      description:
        'Refused with 409 `call_not_allowed` outside the lead-local calling hours, for a do-not-call number, within the cooldown after an abandoned call, or past the daily cap; 409 `channel_not_configured` without a `twilio` secret.',
      body: clickToCallSchema,
      response: callSchema,
      errors: {
        404: 'No such lead',
        409: 'Not allowed now, or no telephony',
        422: 'The provider refused the number',
      },
      handler: ({ req, body }) => clickToCall(services, actingCallerOf(req), body),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/calls/:id',
      tag,
      summary: 'Show a call (by id or CALL-n)',
      params: callIdParams,
      response: callSchema,
      errors: { 404: 'No such call' },
      handler: async ({ req, params }) => {
        const { handle, access } = callerOf(req);
        return toCall(
          orNotFound(await findCallRow(handle.db, access.visibility('leads.read'), params.id), 'Call', {
            id: params.id,
          }),
        );
      },
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/calls/:id/disposition',
      status: 200,
      tag,
      summary:
        "Record the salesperson's disposition after the call (also the lead's latest), ending their wrap-up",
      params: callIdParams,
      body: dispositionSchema,
      response: callSchema,
      errors: { 404: 'No such call' },
      handler: ({ req, params, body }) => recordDisposition(services, actingCallerOf(req), params.id, body),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/calls/:id/recording',
      tag,
      summary: "A short-lived signed URL of the call's recording",
      params: callIdParams,
      response: z.object({
        url: z.string(),
        seconds: z.number().int().nullable(),
        expiresInSeconds: z.number(),
      }),
      errors: { 404: 'No such call, or its recording is not stored yet' },
      handler: async ({ req, params }) => {
        const { handle, access } = callerOf(req);
        const call = orNotFound(
          await findCallRow(handle.db, access.visibility('leads.read'), params.id),
          'Call',
          { id: params.id },
        );
        if (!call.recording_key)
          throw new AppError('media_not_available', 'This call has no stored recording (yet)');
        return {
          url: await services.storage.presignGet(call.recording_key, recordingUrlTtlSeconds),
          seconds: call.recording_seconds,
          expiresInSeconds: recordingUrlTtlSeconds,
        };
      },
    });
}
