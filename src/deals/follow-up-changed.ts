import type { Actor } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { announce } from '../tenancy/record-hooks.js';

/** Deals whose follow-up date was set, moved or cleared in one write (or that were created with one). */
export interface DealFollowUpChanged {
  actor: Actor;
  entries: { dealId: string; followUpAt: Date | null; ownerAgentId: string | null }[];
}

declare module '../tenancy/record-hooks.js' {
  interface RecordHooks {
    /** Announced in the transaction of a deal's creation with a follow-up date or a change of it. */
    'deals.follow_up_changed': DealFollowUpChanged;
  }
}

/** Tells the components that listen (tasks: the follow-up task) which deals' follow-up dates changed. */
export async function announceDealFollowUps(trx: TenantDb, changed: DealFollowUpChanged): Promise<void> {
  if (changed.entries.length > 0) await announce(trx, 'deals.follow_up_changed', changed);
}
