import type { Generated } from 'kysely';
import type { Actor } from '../auth/access.js';

type ActorType = Actor['type'];

export type DoNotCallSource = 'manual' | 'lead_request' | 'import' | 'api';

export interface DoNotCallTable {
  phone: string;
  reason: string | null;
  source: Generated<DoNotCallSource>;
  actor: string | null;
  actor_type: ActorType | null;
  actor_id: string | null;
  created_at: Generated<Date>;
}

export interface CallRulesTables {
  do_not_call: DoNotCallTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends CallRulesTables {}
}
