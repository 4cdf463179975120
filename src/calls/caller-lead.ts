import type { AppServices } from '../app/services.js';
import { Access } from '../auth/access.js';
import { systemActor } from '../auth/actors.js';
import { toAppError } from '../http/error-handler.js';
import { ingestLead, ingestLeadSchema, normalisePhone } from '../leads/index.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import type { CallServices } from './call-services.js';

/** The actor written to the activity log of leads an inbound call creates. */
export const inboundCallActor = systemActor('inbound call');

/** The lead source of callers who were not leads yet. */
export const inboundCallSource = 'inbound_call';

export type CallerLeadServices = CallServices & Pick<AppServices, 'leadEvents'>;

/**
 * A caller who is not a lead yet becomes one (source `inbound_call`) through the CRM's ingest use
 * case, before the call is routed: the assignment engine gives them an owner, whom the call then
 * rings, and whose signal a missed call opens. A number that is not a valid phone number (a
 * withheld caller id, `anonymous`, a SIP address) makes no lead: the call is logged alone.
 * A caller already a lead, archived ones aside, is left as is. Answers the caller's number as
 * leads store it, or null when it is not a phone number.
 */
export async function ensureCallerLead(
  services: CallerLeadServices,
  handle: TenantHandle,
  from: string,
): Promise<string | null> {
  let phone: string;
  try {
    phone = normalisePhone(from, handle.tenant.defaultCountry);
  } catch {
    return null;
  }
  const known = await handle.db
    .selectFrom('leads')
    .select('id')
    .where('phone', '=', phone)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
  if (known) return phone;
  const input = ingestLeadSchema.safeParse({ phone, source: inboundCallSource });
  if (!input.success) return phone;
  try {
    await ingestLead(
      {
        handle,
        actor: inboundCallActor,
        access: Access.tenantWide(),
        events: services.leadEvents,
        services,
      },
      input.data,
    );
  } catch (error) {
    // The call is taken all the same; only a fault of ours is worth more than a log line.
    if (toAppError(error).status >= 500) throw error;
    services.logger.warn({ err: error, tenantId: handle.tenant.id }, 'inbound caller not made a lead');
  }
  return phone;
}
