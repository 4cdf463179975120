import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import { dealIdParams, findDealRow } from '../deals/index.js';
import { Reply, type ApiRouter } from '../http/api-router.js';
import { AppError } from '../http/app-error.js';
import { orNotFound } from '../http/or-not-found.js';
import { pageOf, pageSchema } from '../http/pagination.js';
import { maskEmail, maskPhone } from '../http/pii.js';
import { callerOf } from '../http/request-context.js';
import {
  findVersion,
  quotationRef,
  quotationsKeyset,
  selectQuotations,
  toQuotation,
  type QuotationRow,
} from './quotation.repository.js';
import {
  createQuotationBody,
  listQuotationsQuery,
  patchQuotationBody,
  quotationIdParams,
  quotationSchema,
  quotationVersionParams,
  quotationVersionResponse,
  sendQuotationBody,
} from './quotation.schemas.js';
import {
  createQuotation,
  quotationOr404,
  sendQuotation,
  transitionQuotation,
  updateQuotation,
  type Transition,
} from './quotation.service.js';
import { quotationPdf } from './send-quotation.job.js';

const tag = 'Quotations';
const visibilityNote =
  "Seen and changed exactly when the caller sees (leads.read) or may change (leads.write) the quotation's deal, by its owner agent; otherwise 404.";

export function registerQuotationRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/deals/:id/quotations',
      tag,
      summary: 'Make a draft quotation (version 1) of a deal, in the deal currency',
      description: `Totals, line by line, are computed by the server (see the body's description); payment \`prepaid\` → prepaidAmount = total, COD 0; \`cod\` → the reverse; \`partial\` → the given prepaidAmount (at most the total) and COD = total − prepaid. ${visibilityNote}`,
      params: dealIdParams,
      body: createQuotationBody,
      response: quotationSchema,
      errors: { 404: 'No such deal' },
      handler: async ({ req, params, body }) => createQuotation(services, callerOf(req), params.id, body),
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/deals/:id/quotations',
      tag,
      summary: "A deal's quotations with their current version, newest first (cursor pagination)",
      description: visibilityNote,
      params: dealIdParams,
      query: listQuotationsQuery,
      response: pageSchema(quotationSchema),
      errors: { 404: 'No such deal' },
      handler: async ({ req, params, query }) => {
        const { handle, access } = callerOf(req);
        const visibility = access.visibility('leads.read');
        const deal = orNotFound(await findDealRow(handle.db, visibility, params.id), 'Deal');
        return pageOf(
          selectQuotations(handle.db, visibility).where('quotations.deal_id', '=', deal.id),
          quotationsKeyset,
          query,
          (row) => toQuotation(row as QuotationRow),
        );
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/quotations/:id',
      tag,
      summary: 'Show a quotation (by uuid or Q-n) with its current version',
      description: visibilityNote,
      params: quotationIdParams,
      response: quotationSchema,
      errors: { 404: 'No such quotation' },
      handler: async ({ req, params }) => toQuotation(await quotationOr404(callerOf(req), params.id)),
    })
    .route({
      method: 'patch',
      permission: 'leads.write',
      path: '/quotations/:id',
      tag,
      summary:
        'Edit a quotation: a draft in place, a shared/accepted/rejected/expired one as a new draft version',
      description: `Fields not sent keep their values; \`lines\` replaces all lines. Editing a quotation that is not a draft adds version n + 1 (the earlier versions stay readable) and puts it back to draft. ${visibilityNote}`,
      params: quotationIdParams,
      body: patchQuotationBody,
      response: quotationSchema,
      errors: { 404: 'No such quotation' },
      handler: async ({ req, params, body }) => updateQuotation(services, callerOf(req), params.id, body),
    });

  const transitions: [Transition, string][] = [
    ['share', 'Share a draft (draft → shared)'],
    ['accept', 'Accept a shared quotation (shared → accepted); may win the deal'],
    ['reject', 'Reject a shared quotation (shared → rejected)'],
  ];
  for (const [transition, summary] of transitions) {
    router.route({
      method: 'post',
      permission: 'leads.write',
      path: `/quotations/:id/${transition}`,
      tag,
      summary,
      description:
        (transition === 'accept'
          ? "When the deal's pipeline has `winOnQuotationAccepted`, the deal moves to the pipeline's first won stage (reason `quotation Q-n accepted`, status won) in the same transaction; `quotation_accepted` fires for the deal's lead. An expired quotation, or one past its expiry, cannot be accepted. "
          : '') + `Any other starting status is 409 invalid_status_transition. ${visibilityNote}`,
      params: quotationIdParams,
      status: 200,
      response: quotationSchema,
      errors: { 404: 'No such quotation', 409: 'The quotation is in a status this change cannot start from' },
      handler: async ({ req, params }) => transitionQuotation(services, callerOf(req), params.id, transition),
    });
  }

  router
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/quotations/:id/versions/:version',
      tag,
      summary: 'One version of a quotation (old versions stay readable)',
      description: visibilityNote,
      params: quotationVersionParams,
      response: quotationVersionResponse,
      errors: { 404: 'No such quotation or version' },
      handler: async ({ req, params }) => {
        const row = await quotationOr404(callerOf(req), params.id);
        const version = orNotFound(
          await findVersion(callerOf(req).handle.db, row.id, params.version),
          'Version',
        );
        return {
          ...version,
          quotationId: row.id,
          ref: quotationRef(row.number),
          current: version.version === row.current_version,
        };
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/quotations/:id/pdf',
      tag,
      summary: 'The current version as a PDF (application/pdf, not the JSON envelope)',
      produces: 'application/pdf',
      description: `Tenant name, reference and version, deal, lines, totals in the currency's minor-unit digits, payment split, expiry. ${visibilityNote}`,
      params: quotationIdParams,
      errors: { 404: 'No such quotation' },
      handler: async ({ req, params, res }) => {
        const caller = callerOf(req);
        const row = await quotationOr404(caller, params.id);
        const document = orNotFound(await quotationPdf(caller.handle, row.id), 'Quotation');
        res
          .status(200)
          .type('application/pdf')
          .setHeader('content-disposition', `inline; filename="${document.filename}"`);
        res.send(document.pdf);
      },
    })
    .route({
      method: 'post',
      permission: 'leads.write',
      path: '/quotations/:id/send',
      tag,
      summary:
        'Send the current version as a PDF by email or WhatsApp (background job); a draft becomes shared',
      description: `email: through the tenant's SMTP settings, the PDF attached, to \`to\` or the deal's contact's (else lead's) email. whatsapp: through the tenant's WhatsApp channel, the PDF as a document message (\`Q-n.pdf\`, captioned) to \`to\` or the deal's lead's (else contact's) phone, recorded (queued) in the customer's conversation, whose message id is answered: its statuses follow from the webhooks. A free-form document is allowed only within 24 hours of the customer's last message: 409 outside_customer_service_window otherwise (nothing is queued; no template is sent instead). No recipient: 400 naming \`body.to\`. 409 channel_not_configured without SMTP / WhatsApp settings; 409 invalid_status_transition for an accepted, rejected or expired quotation (edit it first). Each send that went out is logged on the deal's timeline (\`quotation_sent\`). ${visibilityNote}`,
      params: quotationIdParams,
      body: sendQuotationBody,
      status: 202,
      response: z.object({
        quotation: quotationSchema,
        jobId: z.string(),
        channel: z.enum(['email', 'whatsapp']),
        to: z.string().meta({
          description:
            'The email address (email) or E.164 phone (whatsapp) sent to; masked as a phone or an email is for a caller without `pii.read`',
        }),
        messageId: z.uuid().optional().meta({ description: 'whatsapp: the outbound message recorded' }),
      }),
      errors: {
        400: 'No recipient given and none on the deal',
        404: 'No such quotation',
        409: 'No SMTP / WhatsApp settings, outside the WhatsApp customer-service window, or the quotation cannot be sent in its status',
      },
      handler: async ({ req, params, body }) => {
        const caller = callerOf(req);
        await quotationOr404(caller, params.id, true);
        if (body.channel === 'email' && !(await hasSecret(services, caller.handle.tenant.id, 'smtp'))) {
          throw new AppError('channel_not_configured', 'No SMTP settings: set the smtp secret first');
        }
        if (
          body.channel === 'whatsapp' &&
          !(await hasSecret(services, caller.handle.tenant.id, 'whatsapp'))
        ) {
          throw new AppError('channel_not_configured', 'No WhatsApp settings: set the whatsapp secret first');
        }
        const sent = await sendQuotation(services, caller, params.id, body);
        // `to` is either kind of personal data, so it is masked here rather than by a schema mark.
        const to = caller.access.seesPii
          ? sent.to
          : body.channel === 'whatsapp'
            ? maskPhone(sent.to)
            : maskEmail(sent.to);
        return new Reply(202, { ...sent, to, channel: body.channel });
      },
    });
}

async function hasSecret(
  services: AppServices,
  tenantId: string,
  kind: 'smtp' | 'whatsapp',
): Promise<boolean> {
  const row = await services.platform
    .selectFrom('tenant_secrets')
    .select('kind')
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', kind)
    .executeTakeFirst();
  return row !== undefined;
}
