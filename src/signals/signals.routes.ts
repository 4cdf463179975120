import type { AppServices } from '../app/services.js';
import { Reply, type ApiRouter } from '../http/api-router.js';
import { orNotFound } from '../http/or-not-found.js';
import { pageQuery, pageSchema } from '../http/pagination.js';
import { callerOf } from '../http/request-context.js';
import { openSignal, resolveSignal } from './signal-actions.js';
import { toSignal } from './signal.mapper.js';
import { findSignalRow, listSignals } from './signal.repository.js';
import {
  createSignalSchema,
  resolveSignalSchema,
  signalIdParams,
  signalListQuerySchema,
  signalSchema,
  signalSettingsInput,
  signalSettingsSchema,
} from './signal.schemas.js';
import { loadSignalSettings, saveSignalSettings } from './signal-settings.js';

const tag = 'Signals';

export function registerSignalRoutes(router: ApiRouter, services: AppServices): void {
  router
    // Before `/signals/:id`, which would read `settings` as an id.
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/signals/settings',
      tag,
      summary: 'The SLA of each signal type (business time, ISO 8601 durations)',
      response: signalSettingsSchema,
      handler: ({ req }) => loadSignalSettings(callerOf(req).handle),
    })
    .route({
      method: 'put',
      permission: 'settings.manage',
      path: '/signals/settings',
      tag,
      summary: 'Change the SLA of some signal types (signals already open keep their deadline)',
      body: signalSettingsInput,
      response: signalSettingsSchema,
      handler: ({ req, body }) => saveSignalSettings(callerOf(req).handle, body),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/signals',
      tag,
      summary:
        'List signals (filters: status, type, owner, lead, breached, opened/resolved ranges; cursor pages)',
      description:
        '`breached=true`: pending signals whose SLA deadline has passed (at the read); `status=pending`: every pending one.',
      query: signalListQuerySchema.extend(pageQuery),
      response: pageSchema(signalSchema, { total: true }),
      handler: ({ req, query }) => {
        const { handle, access } = callerOf(req);
        return listSignals(handle.db, access.visibility('leads.read'), query);
      },
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/signals',
      tag,
      summary: "Open a system or email signal on a lead (for its owner), or refresh the lead's pending one",
      body: createSignalSchema,
      response: signalSchema,
      errors: { 404: 'No such lead' },
      handler: async ({ req, body }) => {
        const { signal, opened } = await openSignal(services, callerOf(req), body);
        return new Reply(opened ? 201 : 200, signal);
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/signals/:id',
      tag,
      summary: 'Show a signal (by id or SIG-n)',
      params: signalIdParams,
      response: signalSchema,
      errors: { 404: 'No such signal' },
      handler: async ({ req, params }) => {
        const { handle, access } = callerOf(req);
        const row = await findSignalRow(handle.db, access.visibility('leads.read'), params.id);
        return toSignal(orNotFound(row, 'Signal', { id: params.id }));
      },
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/signals/:id/resolve',
      status: 200,
      tag,
      summary: 'Resolve a pending signal by hand (an optional note)',
      params: signalIdParams,
      body: resolveSignalSchema,
      response: signalSchema,
      errors: { 404: 'No such signal', 409: 'Already resolved' },
      handler: ({ req, params, body }) =>
        resolveSignal(services, callerOf(req), params.id, body.note ?? null),
    });
}
