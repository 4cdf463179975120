import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { Reply } from '../http/api-router.js';
import { AppError } from '../http/app-error.js';
import { orNotFound } from '../http/or-not-found.js';
import { pageSchema } from '../http/pagination.js';
import { callerOf } from '../http/request-context.js';
import { normalisePhone } from '../leads/index.js';
import {
  callSettingsInput,
  callSettingsSchema,
  loadCallSettings,
  saveCallSettings,
} from './call-settings.js';
import {
  addDoNotCallResultSchema,
  addDoNotCallSchema,
  doNotCallEntrySchema,
  doNotCallListQuery,
  doNotCallPhoneParams,
  removeDoNotCallResultSchema,
} from './compliance.schemas.js';
import { deleteDoNotCall, insertDoNotCall, listDoNotCall, sourceOf } from './do-not-call.repository.js';
import type { FieldIssue } from '../http/app-error.js';

const tag = 'Calling compliance';

export function registerComplianceRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/call-settings',
      tag,
      summary:
        "The tenant's calling rules (calling hours in the lead's local time, timeout, dial ratio, retries, caps)",
      response: callSettingsSchema,
      handler: ({ req }) => loadCallSettings(callerOf(req).handle),
    })
    .route({
      method: 'put',
      permission: 'settings.manage',
      path: '/call-settings',
      tag,
      summary: 'Change some calling rules (the fields not given stay)',
      body: callSettingsInput,
      response: callSettingsSchema,
      handler: ({ req, body }) => saveCallSettings(callerOf(req).handle, body),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/dnc',
      tag,
      summary: 'The do-not-call list, newest first (filter: phone digits; cursor pages)',
      description:
        'A number that belongs only to leads the caller cannot see is not shown; a number of no lead is shown to every reader.',
      query: doNotCallListQuery,
      response: pageSchema(doNotCallEntrySchema, { total: true }),
      handler: ({ req, query }) => {
        const { handle, access } = callerOf(req);
        return listDoNotCall(handle.db, access.visibility('leads.read'), query);
      },
    })
    .route({
      method: 'post',
      permission: 'settings.manage',
      path: '/dnc',
      status: 200,
      tag,
      summary:
        'Add numbers to the do-not-call list (idempotent: a listed number keeps its entry); the leads with them get doNotCall',
      body: addDoNotCallSchema,
      response: addDoNotCallResultSchema,
      handler: async ({ req, body }) => {
        const { handle, actor } = callerOf(req);
        const issues: FieldIssue[] = [];
        const phones = body.phones.flatMap((raw, index) => {
          try {
            return [normalisePhone(raw, handle.tenant.defaultCountry, `body.phones.${index}`)];
          } catch (error) {
            if (error instanceof AppError && Array.isArray(error.details)) {
              issues.push(...(error.details as FieldIssue[]));
              return [];
            }
            throw error;
          }
        });
        if (issues.length > 0) throw AppError.invalidFields(issues);
        const unique = [...new Set(phones)];
        const { added, flaggedLeadIds } = await inTenantTransaction(services, handle, ({ trx }) =>
          insertDoNotCall(trx, unique, { reason: body.reason ?? null, source: sourceOf(actor), actor }),
        );
        const newly = new Set(added);
        return new Reply(200, {
          added,
          alreadyListed: unique.filter((phone) => !newly.has(phone)),
          leadsFlagged: flaggedLeadIds.length,
        });
      },
    })
    .route({
      method: 'delete',
      permission: 'settings.manage',
      path: '/dnc/:phone',
      tag,
      summary: 'Take a number off the do-not-call list; the leads with it lose their doNotCall flag',
      params: doNotCallPhoneParams,
      response: removeDoNotCallResultSchema,
      errors: { 404: 'The number is not on the list' },
      handler: async ({ req, params }) => {
        const { handle, actor } = callerOf(req);
        const phone = normalisePhone(params.phone, handle.tenant.defaultCountry, 'params.phone');
        const removed = await inTenantTransaction(services, handle, ({ trx }) =>
          deleteDoNotCall(trx, phone, actor),
        );
        const found = orNotFound(removed, 'Do-not-call entry', { phone });
        return { phone: found.phone, removed: true as const, leadsCleared: found.clearedLeadIds.length };
      },
    });
}
