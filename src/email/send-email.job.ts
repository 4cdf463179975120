import type { AppServices } from '../app/services.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { JobContext, JobKind, JobPayloads } from '../queue/job-types.js';
import { PermanentJobError } from '../queue/job-types.js';
import { isFinalFailure } from '../queue/retry-policy.js';
import { recordChannelHealth } from '../channels/index.js';
import { reportCampaignProgress } from './campaign-progress.js';
import { insertSuppression } from './email.repository.js';
import { inlineContent } from './inline-content.js';
import { renderTemplate } from './render-template.js';
import { classifySmtpError, toEmailJobError } from './smtp-errors.js';
import { fromHeader, smtpTransportsOf } from './smtp-transports.js';
import { UnsubscribeTokens } from './unsubscribe-token.js';

export const sendEmailJobKind = 'email.send' as const satisfies JobKind;

/** The process's resources (SMTP transports, campaign progress) and the config (unsubscribe links). */
type SendEmailContext = JobContext<JobPayloads['email.send'], Pick<AppServices, 'resources' | 'config'>>;

export function unsubscribeUrl(
  services: Pick<AppServices, 'config'>,
  clientCode: string,
  address: string,
): string {
  const token = new UnsubscribeTokens(services.config.secrets).create(clientCode, address);
  return `${services.config.publicBaseUrl}/u/${token}`;
}

const interruptedSend =
  'The send was interrupted (the process stopped while the SMTP server had it): not sent again, so it cannot arrive twice';

/**
 * Marks a message as being with the SMTP server; false when an earlier run already had it there
 * and died before recording the outcome (it may have been delivered).
 */
async function startSend(db: TenantDb, id: string): Promise<boolean> {
  const started = await db
    .updateTable('email_messages')
    .set({ send_started_at: new Date() })
    .where('id', '=', id)
    .where('send_started_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return started !== undefined;
}

/**
 * Sends one recipient's email: skipped when the address is suppressed, rendered from its
 * template with the recipient's variables plus `unsubscribeUrl`, and its outcome recorded.
 */
export async function sendEmail(ctx: SendEmailContext): Promise<{ status: string }> {
  const { db, tenant } = ctx.handle;
  const message = await db
    .selectFrom('email_messages')
    .leftJoin('email_templates', 'email_templates.id', 'email_messages.template_id')
    .select([
      'email_messages.id',
      'email_messages.to_address',
      'email_messages.variables',
      'email_messages.status',
      'email_messages.campaign_id',
      'email_messages.subject as inline_subject',
      'email_messages.body_text as inline_body',
    ])
    .select(['email_templates.subject', 'email_templates.html', 'email_templates.text'])
    .where('email_messages.id', '=', ctx.job.payload.messageId)
    .executeTakeFirst();
  if (!message) throw new PermanentJobError('No such email message', 'not_found');
  if (message.status !== 'queued') return { status: message.status };
  const record = async (
    status: 'sent' | 'failed' | 'suppressed',
    extra: { smtp_response?: string; provider_message_id?: string } = {},
  ) => {
    await db
      .updateTable('email_messages')
      .set({
        status,
        ...extra,
        ...(status === 'sent' ? { sent_at: new Date() } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', message.id)
      .execute();
    if (message.campaign_id) {
      await reportCampaignProgress(ctx.services, ctx.handle, message.campaign_id, { immediate: false });
    }
  };

  const address = message.to_address.toLowerCase();
  const suppressed = await db
    .selectFrom('email_suppressions')
    .select('reason')
    .where('address', '=', address)
    .executeTakeFirst();
  if (suppressed) {
    await record('suppressed', { smtp_response: `suppressed: ${suppressed.reason}` });
    return { status: 'suppressed' };
  }
  const inline = message.inline_body !== null;
  if (!inline && (message.subject === null || message.html === null)) {
    await record('failed', { smtp_response: 'template deleted' });
    throw new PermanentJobError('The email template no longer exists', 'template_missing');
  }
  const smtp = await smtpTransportsOf(ctx.services).forTenant(tenant.id);
  if (!smtp) throw new PermanentJobError('SMTP is not configured for this tenant', 'not_configured');

  const link = unsubscribeUrl(ctx.services, tenant.clientCode, address);
  const variables = { ...message.variables, unsubscribeUrl: link };
  const content = inline
    ? inlineContent(message.inline_subject!, message.inline_body!, link)
    : {
        subject: renderTemplate(message.subject!, variables),
        html: renderTemplate(message.html!, variables, true),
        text: message.text === null ? undefined : renderTemplate(message.text, variables),
      };
  if (!(await startSend(db, message.id))) {
    await record('failed', { smtp_response: interruptedSend });
    throw new PermanentJobError(interruptedSend, 'send_interrupted');
  }
  try {
    const info = await smtp.transporter.sendMail({
      from: fromHeader(smtp.secret),
      to: message.to_address,
      ...content,
      headers: { 'List-Unsubscribe': `<${link}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
    await record('sent', { smtp_response: info.response, provider_message_id: info.messageId });
    return { status: 'sent' };
  } catch (error) {
    // The server refused it or could not be reached: not delivered, so a retry may send it.
    await db
      .updateTable('email_messages')
      .set({ send_started_at: null })
      .where('id', '=', message.id)
      .execute();
    const failure = classifySmtpError(error);
    if (failure.authFailed) await recordChannelHealth(db, 'email', false, failure.response);
    if (failure.permanent) {
      await record('failed', { smtp_response: failure.response });
      if (failure.recipientRejected) {
        await insertSuppression(db, { address, reason: 'bounced' });
      }
    }
    throw toEmailJobError(failure);
  }
}

/**
 * A send whose job gives up (a permanent error, or its last attempt failed) leaves its
 * message `failed` with the reason, never `queued` forever, and its campaign's progress told.
 */
async function failQueuedMessage(ctx: SendEmailContext, error: unknown): Promise<void> {
  const reason = error instanceof Error ? error.message : String(error);
  const failed = await ctx.handle.db
    .updateTable('email_messages')
    .set({ status: 'failed', smtp_response: reason, updated_at: new Date() })
    .where('id', '=', ctx.job.payload.messageId)
    .where('status', '=', 'queued')
    .returning('campaign_id')
    .executeTakeFirst();
  if (failed?.campaign_id) {
    await reportCampaignProgress(ctx.services, ctx.handle, failed.campaign_id, { immediate: false });
  }
}

/** The `email.send` handler: a send that gives up leaves its message `failed`. */
export async function sendEmailOrFailMessage(ctx: SendEmailContext): Promise<{ status: string }> {
  try {
    return await sendEmail(ctx);
  } catch (error) {
    if (isFinalFailure(error, ctx.job)) await failQueuedMessage(ctx, error);
    throw error;
  }
}
