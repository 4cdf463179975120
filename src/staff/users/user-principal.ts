import { Access } from '../../auth/access.js';
import type { TenantDb } from '../../db/tenant-database.js';
import type { CallerUser } from '../../http/request-context.js';

export const userRef = (number: string | number) => `U-${number}`;

/**
 * An active user as a caller: who they are, their role's permissions and the agents those
 * reach (their own agent profile; everyone sharing a team with them for team scopes). Null
 * when the user does not exist or is not active.
 */
export async function loadUserPrincipal(
  db: TenantDb,
  userId: string,
  sessionId: string | null,
): Promise<{ user: CallerUser; access: Access } | null> {
  const row = await db
    .selectFrom('users as u')
    .innerJoin('roles as r', 'r.id', 'u.role_id')
    .select(['u.id', 'u.number', 'u.name', 'u.email', 'u.agent_id', 'r.key as role', 'r.grants'])
    .where('u.id', '=', userId)
    .where('u.status', '=', 'active')
    .executeTakeFirst();
  if (!row) return null;
  const teammates = await db
    .selectFrom('team_members as mine')
    .innerJoin('team_members as tm', 'tm.team_id', 'mine.team_id')
    .innerJoin('users as m', 'm.id', 'tm.user_id')
    .select('m.agent_id')
    .distinct()
    .where('mine.user_id', '=', userId)
    .where('m.agent_id', 'is not', null)
    .execute();
  const teamAgentIds = teammates.flatMap((mate) => (mate.agent_id ? [mate.agent_id] : []));
  return {
    user: {
      id: row.id,
      ref: userRef(row.number),
      name: row.name,
      email: row.email,
      role: row.role,
      agentId: row.agent_id,
      sessionId,
    },
    access: Access.ofUser(row.grants, row.agent_id, teamAgentIds),
  };
}
