import { z } from 'zod';
import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { callerOf } from '../http/request-context.js';
import { listChannelHealth } from './channel-health.js';

const channelStatusSchema = z.object({
  channel: z.string(),
  configured: z.boolean(),
  healthy: z.boolean().nullable(),
  lastError: z.string().nullable(),
  checkedAt: z.date().nullable(),
  details: z.record(z.string(), z.unknown()),
});

/** The configuration and observed health of the tenant's external channels. */
export function registerChannelRoutes(router: ApiRouter, services: AppServices): void {
  router.route({
    method: 'get',
    permission: 'channels.manage',
    path: '/channels',
    summary: 'Configuration and health of WhatsApp, email (SMTP), Google and Twilio (calls)',
    tag: 'Channels',
    response: z.array(channelStatusSchema),
    handler: async ({ req }) => {
      const { handle } = callerOf(req);
      const tenantId = handle.tenant.id;
      const [whatsapp, smtp, google, twilio, health] = await Promise.all([
        services.secrets.read(tenantId, 'whatsapp'),
        services.secrets.read(tenantId, 'smtp'),
        services.secrets.read(tenantId, 'google'),
        services.secrets.read(tenantId, 'twilio'),
        listChannelHealth(handle.db),
      ]);
      const healthOf = new Map(health.map((row) => [row.channel, row]));
      const status = (channel: string, configured: boolean, details: Record<string, unknown>) => {
        const observed = healthOf.get(channel);
        return {
          channel,
          configured,
          healthy: observed?.healthy ?? null,
          lastError: observed?.last_error ?? null,
          checkedAt: observed?.updated_at ?? null,
          details,
        };
      };
      return [
        status(
          'whatsapp',
          Boolean(whatsapp),
          whatsapp ? { phoneNumberIds: whatsapp.phoneNumberIds, wabaId: whatsapp.wabaId } : {},
        ),
        status('email', Boolean(smtp), smtp ? { host: smtp.host, fromAddress: smtp.fromAddress } : {}),
        status('google', Boolean(google), google ? { type: google.type, calendarId: google.calendarId } : {}),
        status(
          'twilio',
          Boolean(twilio),
          twilio
            ? {
                accountSid: twilio.accountSid,
                callerIds: twilio.callerIds,
                apiBaseUrl: twilio.apiBaseUrl ?? null,
              }
            : {},
        ),
      ];
    },
  });
}
