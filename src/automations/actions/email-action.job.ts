import { z } from 'zod';
import { enqueueEmailSend, recordEmail } from '../../email/index.js';
import type { AppServices } from '../../app/services.js';
import type { JobContext } from '../../queue/job-types.js';
import { PermanentJobError } from '../../queue/job-types.js';
import { asJobError, channelNotConfigured } from './channel-action-errors.js';
import type { SendEmailPayload } from './external-actions.js';
import { ActionAlreadyRecorded, actionDetail, recordActionDetailOnce } from '../runs/run.repository.js';

/**
 * Hands the email to the email path: an `email_messages` row with the rendered subject and
 * body, sent by its `email.send` job, which skips suppressed (unsubscribed, bounced)
 * addresses and adds the unsubscribe link and List-Unsubscribe header. The message id is
 * stored on the action's outcome in the message's transaction (one email per action).
 */
export async function sendEmailAction(
  ctx: JobContext<SendEmailPayload, Pick<AppServices, 'secrets' | 'queue' | 'servers'>>,
) {
  const { services, handle } = ctx;
  const { runId, actionIndex, to, subject, body } = ctx.job.payload;
  if (!(await services.secrets.read(handle.tenant.id, 'smtp'))) throw channelNotConfigured('email');
  if (!z.email().safeParse(to).success) {
    throw new PermanentJobError(`Not an email address: ${to}`, 'invalid_recipient');
  }

  const already = async () => {
    const detail = await actionDetail(handle.db, runId, actionIndex);
    if (typeof detail?.emailMessageId !== 'string') return undefined;
    await enqueueEmailSend(services, handle, detail.emailMessageId);
    return { emailMessageId: detail.emailMessageId };
  };
  const done = await already();
  if (done) return done;
  try {
    const message = await recordEmail(
      services,
      handle,
      { to_address: to, subject, body_text: body, variables: '{}' },
      (trx, id) => recordActionDetailOnce(trx, runId, actionIndex, 'emailMessageId', { emailMessageId: id }),
    );
    return { emailMessageId: message.id };
  } catch (error) {
    if (error instanceof ActionAlreadyRecorded) {
      const recorded = await already();
      if (recorded) return recorded;
    }
    throw asJobError(error);
  }
}
