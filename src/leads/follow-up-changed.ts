import type { Actor } from '../auth/access.js';
import { systemActor } from '../auth/actors.js';
import type { TenantDb } from '../db/tenant-database.js';
import { announce } from '../tenancy/record-hooks.js';

/** Leads whose follow-up date was set, moved or cleared in one write (or that were created with one). */
export interface FollowUpChanged {
  actor: Actor;
  entries: { leadId: string; followUpAt: Date | null; ownerAgentId: string | null }[];
}

declare module '../tenancy/record-hooks.js' {
  interface RecordHooks {
    /**
     * Announced in the transaction of every write of `leads.follow_up_at` that changes it: a lead
     * change (`writeLeadChange`, the automations' held writes) and an ingest (insert or fill).
     */
    'leads.follow_up_changed': FollowUpChanged;
  }
}

/** Tells the components that listen (tasks: the follow-up task) which leads' follow-up dates changed. */
export async function announceFollowUps(trx: TenantDb, changed: FollowUpChanged): Promise<void> {
  if (changed.entries.length > 0) await announce(trx, 'leads.follow_up_changed', changed);
}

/** The leads among activity entries whose follow-up date changed (the `field_changed` entries say so). */
export function followUpChangesOf(
  activity: readonly { leadId: string; kind: string; actor: Actor | null; data?: unknown }[],
): Map<string, Actor> {
  const changed = new Map<string, Actor>();
  for (const entry of activity) {
    if (entry.kind === 'field_changed' && (entry.data as { field?: string })?.field === 'followUpAt') {
      changed.set(entry.leadId, entry.actor ?? systemActor('follow-up'));
    }
  }
  return changed;
}

/** Announces the follow-up dates of new leads (or of leads an ingest filled one on), those that have one. */
export async function announceNewFollowUps(
  trx: TenantDb,
  actor: Actor,
  rows: readonly { id: string; follow_up_at: Date | null; assigned_agent_id: string | null }[],
): Promise<void> {
  await announceFollowUps(trx, {
    actor,
    entries: rows
      .filter((row) => row.follow_up_at !== null)
      .map((row) => ({ leadId: row.id, followUpAt: row.follow_up_at, ownerAgentId: row.assigned_agent_id })),
  });
}
