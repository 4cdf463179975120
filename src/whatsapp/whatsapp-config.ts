import type { AppServices } from '../app/services.js';
import { PermanentJobError } from '../queue/job-types.js';
import type { SecretValue } from '../tenants/index.js';
import { GraphApiClient } from './graph-api-client.js';

export type WhatsAppSecret = SecretValue<'whatsapp'>;

export interface WhatsAppChannel {
  secret: WhatsAppSecret;
  client: GraphApiClient;
}

/** The tenant's WhatsApp configuration and a Graph API client for it, or null when not configured. */
export async function loadWhatsAppChannel(
  services: Pick<AppServices, 'secrets' | 'config'>,
  tenantId: string,
): Promise<WhatsAppChannel | null> {
  const secret = await services.secrets.read(tenantId, 'whatsapp');
  if (!secret) return null;
  const client = new GraphApiClient({
    baseUrl: services.config.meta.graphUrl,
    version: secret.graphApiVersion,
    accessToken: secret.accessToken,
  });
  return { secret, client };
}

/** For jobs: a tenant without WhatsApp cannot be helped by retrying. */
export async function requireWhatsAppChannel(
  services: Pick<AppServices, 'secrets' | 'config'>,
  tenantId: string,
): Promise<WhatsAppChannel> {
  const channel = await loadWhatsAppChannel(services, tenantId);
  if (!channel) throw new PermanentJobError('WhatsApp is not configured for this tenant', 'not_configured');
  return channel;
}
