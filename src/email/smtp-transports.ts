import nodemailer, { type Transporter } from 'nodemailer';
import { ResourceKey } from '../app/process-resources.js';
import type { AppServices } from '../app/services.js';
import type { SecretValue } from '../tenants/index.js';

export type SmtpSecret = SecretValue<'smtp'>;

interface CachedTransport {
  version: number;
  secret: SmtpSecret;
  transporter: Transporter;
}

/**
 * One pooled nodemailer transport per tenant, reused across sends and rebuilt when the
 * tenant's `smtp` secret changes (its `updated_at` is the cache version).
 */
export class SmtpTransports {
  private readonly cache = new Map<string, CachedTransport>();

  constructor(private readonly services: Pick<AppServices, 'platform' | 'secrets'>) {}

  /** The tenant's transport and settings, or null when it has no SMTP secret. */
  async forTenant(tenantId: string): Promise<{ transporter: Transporter; secret: SmtpSecret } | null> {
    const row = await this.services.platform
      .selectFrom('tenant_secrets')
      .select('updated_at')
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', 'smtp')
      .executeTakeFirst();
    const cached = this.cache.get(tenantId);
    if (!row) {
      if (cached) this.evict(tenantId, cached);
      return null;
    }
    const version = row.updated_at.getTime();
    if (cached?.version === version) return cached;
    const secret = await this.services.secrets.read(tenantId, 'smtp');
    if (!secret) return null;
    // Concurrent first sends: the one that got here first built it; never leak a second pool.
    const built = this.cache.get(tenantId);
    if (built?.version === version) return built;
    if (built) this.evict(tenantId, built);
    const transporter = nodemailer.createTransport({
      pool: true,
      maxConnections: 3,
      host: secret.host,
      port: secret.port,
      secure: secret.secure,
      auth: secret.user ? { user: secret.user, pass: secret.password ?? '' } : undefined,
      connectionTimeout: 15_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    const entry = { version, secret, transporter };
    this.cache.set(tenantId, entry);
    return entry;
  }

  close(): void {
    for (const [tenantId, entry] of this.cache) this.evict(tenantId, entry);
  }

  private evict(tenantId: string, entry: CachedTransport): void {
    entry.transporter.close();
    this.cache.delete(tenantId);
  }
}

/** The process's transport cache, started and closed by the email component. */
export const smtpTransportsKey = new ResourceKey<SmtpTransports>('email.smtpTransports');

export function smtpTransportsOf(services: Pick<AppServices, 'resources'>): SmtpTransports {
  return services.resources.get(smtpTransportsKey);
}

export function fromHeader(secret: SmtpSecret): string {
  return secret.fromName
    ? `"${secret.fromName.replace(/"/g, "'")}" <${secret.fromAddress}>`
    : secret.fromAddress;
}
