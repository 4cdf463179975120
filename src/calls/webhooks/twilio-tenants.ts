import type { AppServices } from '../../app/services.js';
import { TenantCache } from '../../tenancy/tenant-cache.js';
import type { Tenant } from '../../tenancy/tenant.js';
import { findTenantByCode } from '../../tenancy/tenant-registry.js';

export interface TwilioTenant {
  tenant: Tenant;
  authToken: string;
}

/**
 * The tenant of a webhook path's client code and the auth token its callbacks are signed with,
 * kept briefly and dropped when the tenant changes (a new secret is a tenant change): callbacks
 * arrive several per call, and each needs both before anything else.
 */
export class TwilioTenants {
  private readonly cache: TenantCache<string, TwilioTenant>;

  constructor(
    private readonly services: Pick<AppServices, 'platform' | 'secrets' | 'tenantChanges' | 'config'>,
  ) {
    this.cache = new TenantCache(services.tenantChanges, {
      ttlMs: services.config.tenancy.authCacheTtlMs,
      max: 10_000,
      tenantOf: (value) => value.tenant.id,
    });
  }

  /** Null for an unknown code, or a tenant without Twilio: both answer 403, like a bad signature. */
  async find(clientCode: string): Promise<TwilioTenant | null> {
    return this.cache.getOrLoad(clientCode, async () => {
      const tenant = await findTenantByCode(this.services.platform, clientCode);
      if (!tenant || tenant.status !== 'active') return null;
      const secret = await this.services.secrets.read(tenant.id, 'twilio');
      return secret ? { tenant, authToken: secret.authToken } : null;
    });
  }
}
