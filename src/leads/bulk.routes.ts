import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { toAppError } from '../http/error-handler.js';
import { archiveLead, changeLead } from './change-lead.js';
import { leadContextOf, type LeadContext } from './lead-context.js';
import { leadStatuses } from './lead.schemas.js';

const tag = 'Leads';
const ids = z.array(z.uuid()).min(1).max(500);
const tagList = z.array(z.string().trim().toLowerCase().min(1).max(60)).max(50);

const bulkResultSchema = z.object({
  succeeded: z.number().int(),
  failed: z.number().int(),
  results: z.array(
    z.object({
      id: z.string(),
      ok: z.boolean(),
      error: z.object({ code: z.string(), message: z.string() }).optional(),
    }),
  ),
});

/** Runs one change per id, each in its own transaction, and reports every outcome. */
async function perId(leadIds: string[], change: (id: string) => Promise<unknown>) {
  const results = [];
  for (const id of [...new Set(leadIds)]) {
    try {
      await change(id);
      results.push({ id, ok: true });
    } catch (error) {
      const appError = toAppError(error);
      if (appError.status >= 500) throw error;
      results.push({ id, ok: false, error: { code: appError.code, message: appError.message } });
    }
  }
  const succeeded = results.filter((result) => result.ok).length;
  return { succeeded, failed: results.length - succeeded, results };
}

export function registerBulkLeadRoutes(router: ApiRouter, services: AppServices): void {
  const bulk = <B extends z.ZodType<{ ids: string[] }>>(
    path: string,
    summary: string,
    body: B,
    change: (ctx: LeadContext, id: string, body: z.infer<B>) => Promise<unknown>,
  ) =>
    router.route({
      method: 'post',
      permission: 'leads.write',
      path: `/leads/bulk/${path}`,
      tag,
      summary,
      status: 200,
      body,
      response: bulkResultSchema,
      handler: async ({ req, body: input }) => {
        const ctx = leadContextOf(req, services);
        return perId(input.ids, (id) => change(ctx, id, input));
      },
    });

  bulk(
    'status',
    'Set the status of many leads',
    z.object({ ids, status: z.enum(leadStatuses), reopen: z.boolean().optional() }),
    (ctx, id, { status, reopen }) => changeLead(ctx, id, { status, reopen }),
  );
  bulk(
    'assign',
    'Assign many leads to an agent',
    z.object({ ids, agentId: z.uuid() }),
    (ctx, id, { agentId }) => changeLead(ctx, id, { assignedAgentId: agentId }),
  );
  bulk(
    'tags',
    'Add and/or remove tags on many leads',
    z
      .object({ ids, add: tagList.optional(), remove: tagList.optional() })
      .refine((body) => Boolean(body.add?.length || body.remove?.length), 'Give tags to add or remove'),
    (ctx, id, { add, remove }) => changeLead(ctx, id, {}, { add, remove }),
  );
  bulk('archive', 'Archive many leads', z.object({ ids }), (ctx, id) => archiveLead(ctx, id));
}
