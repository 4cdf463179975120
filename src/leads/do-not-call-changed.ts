import type { Actor } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { announce } from '../tenancy/record-hooks.js';

/** Leads whose `doNotCall` flag was set or cleared by a lead change (or whose number changed while set). */
export interface DoNotCallChanged {
  actor: Actor;
  entries: { leadId: string; phone: string; doNotCall: boolean }[];
}

declare module '../tenancy/record-hooks.js' {
  interface RecordHooks {
    /**
     * Announced in the transaction of a lead change (`writeLeadChange`) that sets or clears
     * `do_not_call`, or changes the phone of a lead whose flag is set: the dialer keeps its
     * do-not-call list in step (set → the number is listed, cleared → it is taken off).
     */
    'leads.do_not_call_changed': DoNotCallChanged;
  }
}

/** Tells the listening components (the dialer's do-not-call list) which leads' flags changed. */
export async function announceDoNotCall(trx: TenantDb, changed: DoNotCallChanged): Promise<void> {
  if (changed.entries.length > 0) await announce(trx, 'leads.do_not_call_changed', changed);
}
