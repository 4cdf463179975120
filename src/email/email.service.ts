import type { Insertable } from 'kysely';
import type { AppServices } from '../app/services.js';
import type { TenantDb } from '../db/tenant-database.js';
import { AppError } from '../http/app-error.js';
import { jobRequest, type EnqueueRequest } from '../queue/job-types.js';
import { orNotFound } from '../http/or-not-found.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { findEmailTemplateId, toEmailMessage } from './email.repository.js';
import type { EmailMessagesTable } from './email.tables.js';
import { sendEmailJobKind } from './send-email.job.js';
import { classifySmtpError } from './smtp-errors.js';
import { fromHeader, smtpTransportsOf } from './smtp-transports.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';

/** Sends a fixed test message right away, so a tenant can check its SMTP settings. */
export async function sendTestEmail(services: AppServices, handle: TenantHandle, to: string) {
  const smtp = await smtpTransportsOf(services).forTenant(handle.tenant.id);
  if (!smtp) throw new AppError('channel_not_configured', 'No SMTP settings: set the smtp secret first');
  try {
    const info = await smtp.transporter.sendMail({
      from: fromHeader(smtp.secret),
      to,
      subject: `Switchyard test email for ${handle.tenant.name}`,
      text: 'Your SMTP settings work: this message was sent through them.',
    });
    return {
      accepted: (info.accepted ?? []).map(String),
      response: info.response,
      messageId: info.messageId,
    };
  } catch (error) {
    const failure = classifySmtpError(error);
    throw new AppError('smtp_error', `The SMTP server refused: ${failure.response}`, {
      details: {
        authFailed: failure.authFailed,
        recipientRejected: failure.recipientRejected,
        response: failure.response,
      },
    });
  }
}

/** Records one recipient's email and queues its send (in one transaction on the default server). */
export async function queueEmail(
  services: AppServices,
  handle: TenantHandle,
  input: { to: string; templateId: string; variables: Record<string, unknown>; leadId?: string },
) {
  orNotFound(await findEmailTemplateId(handle.db, input.templateId), 'Email template');
  return recordEmail(services, handle, {
    to_address: input.to,
    lead_id: input.leadId ?? null,
    template_id: input.templateId,
    variables: JSON.stringify(input.variables),
  });
}

/**
 * Records an email and queues its send in one unit of work (the job exists exactly when the
 * email does). `within` runs in its transaction.
 */
export async function recordEmail(
  services: Pick<AppServices, 'queue' | 'servers'>,
  handle: TenantHandle,
  values: Insertable<EmailMessagesTable>,
  within?: (trx: TenantDb, messageId: string) => Promise<void>,
) {
  const row = await inTenantTransaction(services, handle, async ({ trx, enqueue }) => {
    const inserted = await trx
      .insertInto('email_messages')
      .values(values)
      .returningAll()
      .executeTakeFirstOrThrow();
    await enqueue(emailSendJobOf(handle, inserted.id));
    await within?.(trx, inserted.id);
    return inserted;
  });
  return toEmailMessage(row);
}

/** The send job of a recorded email (once per message: idempotent by its id). */
const emailSendJobOf = (handle: TenantHandle, messageId: string): EnqueueRequest =>
  jobRequest(handle.tenant.id, sendEmailJobKind, { messageId }, { idempotencyKey: `email:${messageId}` });

/** Queues the send of an email recorded earlier. */
export function enqueueEmailSend(
  services: Pick<AppServices, 'queue'>,
  handle: TenantHandle,
  messageId: string,
) {
  return services.queue.enqueueMany([emailSendJobOf(handle, messageId)]);
}
