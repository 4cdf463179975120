import nodemailer from 'nodemailer';
import type { AppServices } from '../../app/services.js';
import { fromHeader, smtpTransportsOf } from '../../email/index.js';

export interface AccountMail {
  to: string;
  subject: string;
  text: string;
}

export type AccountMailOutcome = 'sent' | 'no_channel' | 'failed';

type MailServices = Pick<AppServices, 'config' | 'logger' | 'resources' | 'platform' | 'secrets'>;

/**
 * Sends an account email (invitation, password reset) through the tenant's SMTP channel, else
 * the platform SMTP server (PLATFORM_SMTP_URL/PLATFORM_SMTP_FROM), else answers `no_channel`.
 * A refused send is logged (never with the message, which holds a token) and answered `failed`.
 */
export async function sendAccountMail(
  services: MailServices,
  tenantId: string,
  mail: AccountMail,
): Promise<AccountMailOutcome> {
  const tenantSmtp = await smtpTransportsOf(services).forTenant(tenantId);
  const platformSmtp = services.config.platformSmtp;
  if (!tenantSmtp && !platformSmtp) return 'no_channel';
  try {
    if (tenantSmtp) {
      await tenantSmtp.transporter.sendMail({ from: fromHeader(tenantSmtp.secret), ...mail });
    } else {
      // Account emails are rare: one connection per message, nothing to keep open or close.
      const transporter = nodemailer.createTransport(platformSmtp!.url);
      await transporter.sendMail({ from: platformSmtp!.from, ...mail });
    }
    return 'sent';
  } catch (error) {
    services.logger.warn(
      { tenantId, channel: tenantSmtp ? 'tenant' : 'platform', err: { message: (error as Error).message } },
      'account email not sent',
    );
    return 'failed';
  }
}
