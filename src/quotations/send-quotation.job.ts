import type { AppServices } from '../app/services.js';
import { sql } from 'kysely';
import { everyLead } from '../auth/access.js';
import { actorFromColumns } from '../auth/actors.js';
import { recordDealActivity } from '../deals/index.js';
import { fromHeader, smtpTransportsOf } from '../email/index.js';
import {
  PermanentJobError,
  type DeadJobContext,
  type JobContext,
  type JobPayloads,
} from '../queue/job-types.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { failUnsentOutbound, sendOutboundDocument } from '../whatsapp/index.js';
import { findQuotationRow, findVersion, toQuotation } from './quotation.repository.js';
import { renderQuotationPdf } from './quotation-pdf.js';

type SendContext = JobContext<
  JobPayloads['quotations.send'],
  Pick<AppServices, 'resources' | 'secrets' | 'config' | 'realtime'>
>;

/** The PDF of one version of a quotation (the current one unless named); undefined when either is gone. */
export async function quotationPdf(
  handle: TenantHandle,
  quotationId: string,
  versionNumber?: number,
  options: { compress?: boolean } = {},
) {
  const row = await findQuotationRow(handle.db, everyLead, quotationId);
  if (!row) return undefined;
  const quotation = toQuotation(row);
  const version =
    versionNumber === undefined || versionNumber === row.current_version
      ? quotation.current
      : await findVersion(handle.db, row.id, versionNumber);
  if (!version) return undefined;
  const pdf = await renderQuotationPdf(
    { tenantName: handle.tenant.name, dealTitle: row.deal_title, quotation, version },
    options,
  );
  return { pdf, quotation, version, filename: `${quotation.ref}-v${version.version}.pdf` };
}

/** The WhatsApp document's file name and caption for a version (`Q-12.pdf`). */
export const whatsappDocumentOf = (tenantName: string, ref: string, version: number) => ({
  filename: `${ref}.pdf`,
  caption: `Quotation ${ref} (version ${version}) from ${tenantName}`,
  mimeType: 'application/pdf',
});

/**
 * Sends the version of the quotation the request named, as a PDF: by email, attached, through
 * the tenant's SMTP settings; by WhatsApp, as a document message (the message recorded when
 * the send was queued: uploaded as media, then sent by its id, once). The quotation or version
 * gone, or the channel not set up: permanent failures. A send that went out is logged on the
 * deal's timeline (`quotation_sent`), once per job.
 */
export async function sendQuotationJob(
  ctx: SendContext,
): Promise<{ status: string; messageId?: string; wamid?: string }> {
  const { payload } = ctx.job;
  const document = await quotationPdf(ctx.handle, payload.quotationId, payload.version);
  if (!document) throw new PermanentJobError('The quotation or its version no longer exists', 'not_found');
  const ref = document.quotation.ref;
  let result: { status: string; messageId?: string; wamid?: string };
  if (payload.channel === 'whatsapp') {
    const file = whatsappDocumentOf(ctx.handle.tenant.name, ref, document.version.version);
    const { wamid } = await sendOutboundDocument(
      ctx.services,
      ctx.handle,
      payload.messageId,
      { data: document.pdf, mimeType: file.mimeType, filename: file.filename },
      ctx.job.attempt,
    );
    result = { status: 'sent', messageId: payload.messageId, wamid };
  } else {
    const smtp = await smtpTransportsOf(ctx.services).forTenant(ctx.handle.tenant.id);
    if (!smtp) throw new PermanentJobError('SMTP is not configured for this tenant', 'not_configured');
    const info = await smtp.transporter.sendMail({
      from: fromHeader(smtp.secret),
      to: payload.to,
      subject: `Quotation ${ref} from ${ctx.handle.tenant.name}`,
      text: `Please find attached our quotation ${ref} (version ${document.version.version}).`,
      attachments: [{ filename: document.filename, content: document.pdf, contentType: 'application/pdf' }],
    });
    result = { status: 'sent', messageId: info.messageId };
  }
  await logSent(ctx, document.quotation.dealId, ref);
  return result;
}

/** The deal timeline's `quotation_sent` entry of this job (none added when a retry finds it). */
async function logSent(ctx: SendContext, dealId: string, ref: string): Promise<void> {
  const { payload } = ctx.job;
  const logged = await ctx.handle.db
    .selectFrom('deal_activities')
    .select('id')
    .where('deal_id', '=', dealId)
    .where('kind', '=', 'quotation_sent')
    .where(sql<string>`data->>'jobId'`, '=', ctx.job.id)
    .executeTakeFirst();
  if (logged) return;
  const by = payload.requestedBy;
  await recordDealActivity(
    ctx.handle.db,
    dealId,
    by ? actorFromColumns(by.name, by.type, by.id) : null,
    'quotation_sent',
    {
      quotationId: payload.quotationId,
      ref,
      version: payload.version,
      channel: payload.channel,
      to: payload.to,
      jobId: ctx.job.id,
      ...(payload.channel === 'whatsapp' ? { messageId: payload.messageId } : {}),
    },
  );
}

/**
 * `onDead` of `quotations.send`: a WhatsApp send whose job died before the document went out
 * (attempts used up on retryable failures, or its worker gone) leaves its recorded message
 * `failed` rather than `queued` forever. Email sends record nothing to finish.
 */
export async function failDeadSend(
  ctx: DeadJobContext<JobPayloads['quotations.send'], Pick<AppServices, 'realtime'>>,
): Promise<void> {
  const { payload } = ctx.job;
  if (payload.channel !== 'whatsapp') return;
  await failUnsentOutbound(ctx.services, ctx.handle, payload.messageId, ctx.error);
}
