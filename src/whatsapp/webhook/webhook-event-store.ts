import { randomUUID } from 'node:crypto';
import type { AppServices } from '../../app/services.js';
import { GroupCommit, type BatchItemOutcome } from '../../db/group-commit.js';
import type { JobKind } from '../../queue/job-types.js';
import { inTenantTransaction } from '../../tenancy/unit-of-work.js';
import type { Tenant } from '../../tenancy/tenant.js';
import type { StoredChange } from './webhook-payload.js';

export const processEventJobKind = 'whatsapp.process_event' as const satisfies JobKind;

interface Share {
  tenant: Tenant;
  changes: StoredChange[];
}

/**
 * Stores each tenant's share of a webhook delivery as a `whatsapp_events` row, processed by a
 * `whatsapp.process_event` job, and resolves only once both are committed. Concurrent shares
 * for one tenant go out together (GroupCommit): one transaction, one multi-row INSERT and one
 * job for the batch, instead of two autocommits per delivery.
 */
export class WebhookEventStore {
  private readonly commits: GroupCommit<Share, string>;

  constructor(private readonly services: AppServices) {
    // Two flushes per tenant keep the commit pipeline busy while the next batch gathers.
    this.commits = new GroupCommit((_tenantId, shares) => this.write(shares), {
      maxBatch: 100,
      maxInFlight: 2,
    });
  }

  /** Answers the stored event's id. */
  store(tenant: Tenant, changes: StoredChange[]): Promise<string> {
    return this.commits.submit(tenant.id, { tenant, changes });
  }

  private async write(shares: Share[]): Promise<BatchItemOutcome<string>[]> {
    const { services } = this;
    const tenant = shares[0]!.tenant;
    const handle = await services.connections.resolve(tenant);
    // Ids made here, so the job can name its events without reading the INSERT back.
    const rows = shares.map(({ changes }) => ({ id: randomUUID(), payload: JSON.stringify({ changes }) }));
    const eventIds = rows.map(({ id }) => id);
    await inTenantTransaction(services, handle, async ({ trx, enqueue }) => {
      await trx.insertInto('whatsapp_events').values(rows).execute();
      await enqueue({
        tenantId: tenant.id,
        kind: processEventJobKind,
        payload: { eventIds },
        options: { idempotencyKey: `whatsapp-events:${eventIds[0]}` },
      });
    });
    return rows.map(({ id }) => ({ ok: id }));
  }
}
