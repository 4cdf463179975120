import type { AppServices } from '../app/services.js';
import { AppError } from '../http/app-error.js';
import type { Tenant } from '../tenancy/tenant.js';
import { findTenantByCode } from '../tenants/tenant.repository.js';
import { PhoneNumberRouteCache, tenantIdsWithNumbers } from './phone-number-routes.js';
import { isValidSignature, tokensEqual } from './webhook-signature.js';
import { splitByPhoneNumber, webhookPayloadSchema, type StoredChange } from './webhook-payload.js';

export const processEventJobKind = 'whatsapp.process_event';

export interface ReceivedWebhook {
  /** Tenant events stored and queued. */
  events: number;
  /** Phone number ids nobody owns (logged, acknowledged). */
  unknownPhoneNumberIds: string[];
}

/**
 * Answers Meta's subscription check: the challenge when the verify token is one we know
 * (the tenant's on its own path; the platform's or any routed tenant's on the shared path).
 */
export async function verifySubscription(
  services: AppServices,
  query: { mode?: string; token?: string; challenge?: string },
  clientCode?: string,
): Promise<string> {
  const forbidden = new AppError('forbidden', 'Verification token mismatch');
  if (query.mode !== 'subscribe' || !query.token || query.challenge === undefined) throw forbidden;
  const tokens: string[] = [];
  if (clientCode) {
    const tenant = await findTenantByCode(services.platform, clientCode.toLowerCase());
    const secret = tenant && (await services.secrets.read(tenant.id, 'whatsapp'));
    if (secret) tokens.push(secret.verifyToken);
  } else {
    if (services.config.meta.verifyToken) tokens.push(services.config.meta.verifyToken);
    for (const tenantId of await tenantIdsWithNumbers(services.platform)) {
      const secret = await services.secrets.read(tenantId, 'whatsapp');
      if (secret) tokens.push(secret.verifyToken);
    }
  }
  if (!tokens.some((token) => tokensEqual(token, query.token!))) throw forbidden;
  return query.challenge;
}

/**
 * Verifies a delivery's signature over its raw bytes, splits it by phone number, stores
 * each tenant's share durably in that tenant's schema and queues its processing.
 * Nothing is stored unless the signature is valid.
 */
export async function receiveWebhook(
  services: AppServices,
  rawBody: Buffer,
  signature: string | undefined,
  clientCode?: string,
): Promise<ReceivedWebhook> {
  const ownTenant = clientCode ? await findTenantByCode(services.platform, clientCode.toLowerCase()) : null;
  if (clientCode && !ownTenant) throw AppError.notFound('Tenant');
  const secrets = await appSecretsFor(services, ownTenant);
  if (!isValidSignature(rawBody, signature, secrets)) {
    throw new AppError('invalid_signature', 'Missing or invalid X-Hub-Signature-256', { status: 401 });
  }

  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new AppError('invalid_json', 'The request body is not valid JSON');
  }
  const payload = webhookPayloadSchema.parse(json);
  const groups = splitByPhoneNumber(payload);
  const phoneNumberIds = [...groups.keys()].filter((id): id is string => id !== null);
  const routes = await routeCacheOf(services).lookup(phoneNumberIds);

  const perTenant = new Map<string, { tenant: Tenant; changes: StoredChange[] }>();
  const unknownPhoneNumberIds: string[] = [];
  for (const [phoneNumberId, changes] of groups) {
    const tenant = phoneNumberId === null ? ownTenant : routes.get(phoneNumberId);
    if (!tenant || (ownTenant && tenant.id !== ownTenant.id)) {
      if (phoneNumberId) unknownPhoneNumberIds.push(phoneNumberId);
      continue;
    }
    const share = perTenant.get(tenant.id) ?? { tenant, changes: [] };
    share.changes.push(...changes);
    perTenant.set(tenant.id, share);
  }
  if (unknownPhoneNumberIds.length > 0 || groups.has(null)) {
    services.logger.warn(
      { unknownPhoneNumberIds, accountLevelChanges: groups.get(null)?.length ?? 0, clientCode },
      'whatsapp webhook changes with no tenant route were acknowledged and dropped',
    );
  }

  await Promise.all(
    [...perTenant.values()].map(async ({ tenant, changes }) => {
      const handle = await services.connections.resolve(tenant);
      const { id } = await handle.db
        .insertInto('whatsapp_events')
        .values({ payload: JSON.stringify({ changes }) })
        .returning('id')
        .executeTakeFirstOrThrow();
      await services.queue.enqueue(
        tenant.id,
        processEventJobKind,
        { eventId: id },
        { idempotencyKey: `whatsapp-event:${id}` },
      );
    }),
  );
  return { events: perTenant.size, unknownPhoneNumberIds };
}

const routeCaches = new WeakMap<AppServices, PhoneNumberRouteCache>();

function routeCacheOf(services: AppServices): PhoneNumberRouteCache {
  let cache = routeCaches.get(services);
  if (!cache) {
    cache = new PhoneNumberRouteCache(services.platform, services.config.tenancy.authCacheTtlMs);
    routeCaches.set(services, cache);
  }
  return cache;
}

async function appSecretsFor(services: AppServices, tenant: Tenant | null): Promise<string[]> {
  const platformSecret = services.config.meta.appSecret;
  if (!tenant) return platformSecret ? [platformSecret] : [];
  const secret = await services.secrets.read(tenant.id, 'whatsapp');
  const appSecret = secret?.appSecret ?? platformSecret;
  return appSecret ? [appSecret] : [];
}
