import type { AppServices } from '../app/services.js';
import { everyLead } from '../auth/access.js';
import { fromHeader, smtpTransportsOf } from '../email/index.js';
import { PermanentJobError, type JobContext, type JobPayloads } from '../queue/job-types.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { findQuotationRow, findVersion, toQuotation } from './quotation.repository.js';
import { renderQuotationPdf } from './quotation-pdf.js';

type SendContext = JobContext<JobPayloads['quotations.send'], Pick<AppServices, 'resources'>>;

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

/**
 * Sends the version of the quotation the request named, as a PDF attachment, through the
 * tenant's SMTP settings. The quotation or version gone, or no SMTP: permanent failures.
 */
export async function sendQuotationJob(ctx: SendContext): Promise<{ status: string; messageId?: string }> {
  const { quotationId, version, to } = ctx.job.payload;
  const document = await quotationPdf(ctx.handle, quotationId, version);
  if (!document) throw new PermanentJobError('The quotation or its version no longer exists', 'not_found');
  const smtp = await smtpTransportsOf(ctx.services).forTenant(ctx.handle.tenant.id);
  if (!smtp) throw new PermanentJobError('SMTP is not configured for this tenant', 'not_configured');
  const ref = document.quotation.ref;
  const info = await smtp.transporter.sendMail({
    from: fromHeader(smtp.secret),
    to,
    subject: `Quotation ${ref} from ${ctx.handle.tenant.name}`,
    text: `Please find attached our quotation ${ref} (version ${document.version.version}).`,
    attachments: [{ filename: document.filename, content: document.pdf, contentType: 'application/pdf' }],
  });
  return { status: 'sent', messageId: info.messageId };
}
