import type { ColumnType, Generated } from 'kysely';

export type AssignmentStrategy = 'round_robin' | 'weighted' | 'least_loaded';

export interface RuleConditions {
  states?: string[];
  cities?: string[];
  sources?: string[];
  languages?: string[];
  /** Matches when the lead carries any of these tags. */
  tags?: string[];
}

export interface AssignmentRulesTable {
  id: Generated<string>;
  name: string;
  position: Generated<number>;
  active: Generated<boolean>;
  conditions: ColumnType<RuleConditions, string, string>;
  agent_ids: string[] | null;
  strategy: Generated<AssignmentStrategy>;
  match_territory: Generated<boolean>;
  territory_fallback: Generated<boolean>;
  sticky: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface AssignmentRulesTables {
  assignment_rules: AssignmentRulesTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends AssignmentRulesTables {}
}
