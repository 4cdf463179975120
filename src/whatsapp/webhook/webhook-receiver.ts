import { randomBytes } from 'node:crypto';
import type { AppServices } from '../../app/services.js';
import { AppError } from '../../http/app-error.js';
import { jsonNestsDeeperThan } from '../../http/json-depth.js';
import type { Tenant } from '../../tenancy/tenant.js';
import { TenantCache } from '../../tenancy/tenant-cache.js';
import { findTenantByCode } from '../../tenancy/tenant-registry.js';
import { mayContainNul, replaceNulCharacters } from './nul-characters.js';
import { tenantIdsWithNumbers } from './phone-number-routes.js';
import { WebhookEventStore } from './webhook-event-store.js';
import { isValidSignature, tokensEqual } from './webhook-signature.js';
import { splitByRoute, webhookPayloadSchema } from './webhook-payload.js';
import { WebhookRouteCache } from './webhook-route-cache.js';
import { routeChanges } from './webhook-routing.js';

export interface ReceivedWebhook {
  /** Tenant events stored and queued. */
  events: number;
  /** Phone number ids nobody owns (logged, acknowledged). */
  unknownPhoneNumberIds: string[];
  /** WhatsApp Business Account ids of account-level changes nobody owns (logged, acknowledged). */
  unknownWabaIds: string[];
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
 * Receives webhook deliveries: verifies each one's signature over its raw bytes, splits it by
 * phone number (account-level changes by WABA), and answers once each tenant's share is
 * committed in that tenant's schema with its processing job. Nothing is stored unless the
 * signature is valid.
 */
export class WebhookReceiver {
  private readonly routes: WebhookRouteCache;
  /** Tenant and app secret of each own-path client code, read (and decrypted) once per TTL or change. */
  private readonly ownApps: TenantCache<string, OwnApp>;
  private readonly events: WebhookEventStore;
  /**
   * What a delivery on an unknown tenant's path is verified against: it never matches, and the
   * answer (401 `invalid_signature`) and its cost are those of a known tenant's path with a wrong
   * signature, so the path does not tell which client codes exist.
   */
  private readonly decoySecret = randomBytes(32).toString('hex');

  constructor(private readonly services: AppServices) {
    const { platform, config, tenantChanges } = services;
    this.routes = new WebhookRouteCache(platform, config.tenancy.authCacheTtlMs, tenantChanges);
    this.ownApps = new TenantCache(tenantChanges, {
      ttlMs: config.tenancy.authCacheTtlMs,
      max: 10_000,
      tenantOf: (app) => app.tenant.id,
    });
    this.events = new WebhookEventStore(services);
  }

  async receive(
    rawBody: Buffer,
    signature: string | undefined,
    clientCode?: string,
  ): Promise<ReceivedWebhook> {
    const { services } = this;
    const own = clientCode ? await this.ownApp(clientCode.toLowerCase()) : null;
    const platformSecret = services.config.meta.appSecret;
    const appSecret = own
      ? (own.appSecret ?? platformSecret)
      : clientCode
        ? this.decoySecret
        : platformSecret;
    if (!isValidSignature(rawBody, signature, appSecret ? [appSecret] : [])) {
      throw new AppError('invalid_signature', 'Missing or invalid X-Hub-Signature-256');
    }
    const ownTenant = own?.tenant ?? null;

    // Signed is not shallow: a payload nested thousands deep overflows the stack of the schema's walk.
    if (jsonNestsDeeperThan(rawBody, services.config.http.jsonMaxDepth)) {
      throw new AppError('invalid_json', 'The request body nests too deeply');
    }
    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch {
      throw new AppError('invalid_json', 'The request body is not valid JSON');
    }
    if (mayContainNul(rawBody)) json = replaceNulCharacters(json);
    const split = splitByRoute(webhookPayloadSchema.parse(json));
    const routes = await this.routes.lookup({
      phoneNumber: [...split.byPhoneNumber.keys()],
      waba: [...split.byWaba.keys()].filter((id): id is string => id !== null),
    });
    const { shares, unknownPhoneNumberIds, unknownWabaIds, dropped } = routeChanges(split, routes, ownTenant);
    if (dropped > 0) {
      services.logger.warn(
        { unknownPhoneNumberIds, unknownWabaIds, droppedChanges: dropped, clientCode },
        'whatsapp webhook changes with no tenant route were acknowledged and dropped',
      );
    }

    await Promise.all(shares.map(({ tenant, changes }) => this.events.store(tenant, changes)));
    return { events: shares.length, unknownPhoneNumberIds, unknownWabaIds };
  }

  /** The tenant of an own-path client code and its app secret; null when no tenant has that code. */
  private ownApp(clientCode: string): Promise<OwnApp | null> {
    return this.ownApps.getOrLoad(clientCode, async () => {
      const tenant = await findTenantByCode(this.services.platform, clientCode);
      if (!tenant) return null;
      const secret = await this.services.secrets.read(tenant.id, 'whatsapp');
      return { tenant, appSecret: secret?.appSecret };
    });
  }
}

interface OwnApp {
  tenant: Tenant;
  appSecret: string | undefined;
}
