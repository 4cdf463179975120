import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Visibility } from '../auth/access.js';
import type { TenantDatabase } from '../db/tenant-database.js';

/**
 * The one visibility filter (issue 17). A lead is visible to a caller when their scope is
 * `all`, or when it is assigned to one of the agents their scope reaches; unassigned leads only
 * to `all`. Every read of leads, and of what hangs off a lead, composes one of these two.
 */

/** On a query of `leads` (or an alias of it): the visible leads. `agentColumn` names the owner column. */
export function leadVisibleTo(visibility: Visibility, agentColumn = 'leads.assigned_agent_id') {
  return (eb: ExpressionBuilder<any, any>): Expression<SqlBool> => {
    if (visibility.all) return sql<SqlBool>`true`;
    if (visibility.agentIds.length === 0) return sql<SqlBool>`false`;
    return eb(sql.ref(agentColumn), 'in', visibility.agentIds);
  };
}

/** On a query of a table linked to leads (notes, messages, …): rows whose lead is visible. */
export function leadIdVisibleTo(visibility: Visibility, leadIdColumn: string) {
  return (eb: ExpressionBuilder<TenantDatabase, any>): Expression<SqlBool> => {
    if (visibility.all) return sql<SqlBool>`true`;
    if (visibility.agentIds.length === 0) return sql<SqlBool>`false`;
    return eb(
      sql.ref(leadIdColumn),
      'in',
      eb
        .selectFrom('leads as visible_lead')
        .select('visible_lead.id')
        .where('visible_lead.assigned_agent_id', 'in', visibility.agentIds),
    );
  };
}

/**
 * Contacts visible to a caller: those of a lead they may see (the contact's own `lead_id`, or a
 * lead converted into it); a contact of no lead only to scope `all`.
 */
export function contactVisibleTo(visibility: Visibility) {
  return (eb: ExpressionBuilder<TenantDatabase, 'contacts'>): Expression<SqlBool> => {
    if (visibility.all) return sql<SqlBool>`true`;
    return eb.or([
      leadIdVisibleTo(visibility, 'contacts.lead_id')(eb),
      eb.exists(
        eb
          .selectFrom('leads')
          .select('leads.id')
          .whereRef('leads.contact_id', '=', 'contacts.id')
          .where(leadVisibleTo(visibility)),
      ),
    ]);
  };
}
