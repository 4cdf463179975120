import { sql, type Selectable } from 'kysely';
import type { TenantDb } from '../../db/tenant-database.js';
import { AppError } from '../../http/app-error.js';
import { pageOf, type Keyset, type Page } from '../../http/pagination.js';
import type { TeamsTable } from '../staff.tables.js';
import { userRef } from '../users/user-principal.js';
import type { Team, TeamMemberInput } from './team.schemas.js';

type TeamMember = Team['members'][number];

async function membersOf(db: TenantDb, teamIds: readonly string[]): Promise<Map<string, TeamMember[]>> {
  const byTeam = new Map<string, TeamMember[]>();
  if (teamIds.length === 0) return byTeam;
  const rows = await db
    .selectFrom('team_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.team_id', 'u.id', 'u.number', 'u.name', 'u.email', 'u.status', 'm.is_manager'])
    .where('m.team_id', 'in', teamIds)
    .orderBy('m.is_manager', 'desc')
    .orderBy('u.number')
    .execute();
  for (const row of rows) {
    const members = byTeam.get(row.team_id) ?? [];
    members.push({
      userId: row.id,
      ref: userRef(row.number),
      name: row.name,
      email: row.email,
      status: row.status,
      isManager: row.is_manager,
    });
    byTeam.set(row.team_id, members);
  }
  return byTeam;
}

const toTeam = (row: Selectable<TeamsTable>, members: TeamMember[]): Team => ({
  id: row.id,
  name: row.name,
  description: row.description,
  members,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export async function findTeam(db: TenantDb, id: string): Promise<Team | undefined> {
  const row = await db.selectFrom('teams').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  return toTeam(row, (await membersOf(db, [row.id])).get(row.id) ?? []);
}

const teamsKeyset: Keyset = {
  list: 'teams',
  columns: [
    ['name', 'text'],
    ['id', 'uuid'],
  ],
  direction: 'asc',
};

/** Teams by name, with their members. */
export async function listTeams(db: TenantDb, page: { limit: number; cursor?: string }): Promise<Page<Team>> {
  const rows = await pageOf(db.selectFrom('teams').selectAll(), teamsKeyset, page, (row) => row);
  const members = await membersOf(
    db,
    rows.items.map((row) => row.id),
  );
  return { ...rows, items: rows.items.map((row) => toTeam(row, members.get(row.id) ?? [])) };
}

/** 409 when another team has this name (case-insensitive). */
export async function assertTeamNameFree(db: TenantDb, name: string, exceptId?: string): Promise<void> {
  let query = db
    .selectFrom('teams')
    .select('id')
    .where(sql<boolean>`lower(name) = lower(${name})`);
  if (exceptId) query = query.where('id', '<>', exceptId);
  if (await query.executeTakeFirst()) {
    throw new AppError('conflict', `A team named '${name}' already exists`, { details: { field: 'name' } });
  }
}

export async function insertTeam(
  db: TenantDb,
  input: { name: string; description: string | null },
): Promise<string> {
  await assertTeamNameFree(db, input.name);
  const row = await db.insertInto('teams').values(input).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** The team locked for the change, or undefined when absent. */
export async function lockTeam(db: TenantDb, id: string): Promise<{ id: string } | undefined> {
  return db.selectFrom('teams').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function updateTeamRow(
  db: TenantDb,
  id: string,
  input: { name?: string; description?: string | null },
): Promise<void> {
  if (input.name !== undefined) await assertTeamNameFree(db, input.name, id);
  await db
    .updateTable('teams')
    .set({ ...input, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .execute();
}

/** The deleted team's id (its memberships go with it), or undefined when absent. */
export async function deleteTeam(db: TenantDb, id: string): Promise<string | undefined> {
  const row = await db.deleteFrom('teams').where('id', '=', id).returning('id').executeTakeFirst();
  return row?.id;
}

/** 400 naming the user ids (at `path`) that name no user. */
async function assertUsersExist(db: TenantDb, userIds: readonly string[], path: string): Promise<void> {
  if (userIds.length === 0) return;
  const found = await db.selectFrom('users').select('id').where('id', 'in', userIds).execute();
  const known = new Set(found.map((row) => row.id));
  const missing = userIds.filter((id) => !known.has(id));
  if (missing.length > 0) {
    throw AppError.invalidFields([{ path, message: `Unknown users: ${missing.join(', ')}` }]);
  }
}

/** Adds members or changes their manager flag (upsert). */
export async function upsertMembers(
  db: TenantDb,
  teamId: string,
  members: readonly TeamMemberInput[],
  path: string,
): Promise<void> {
  const byUser = new Map(members.map((member) => [member.userId, member.isManager]));
  if (byUser.size === 0) return;
  await assertUsersExist(db, [...byUser.keys()], path);
  await db
    .insertInto('team_members')
    .values(
      [...byUser].map(([userId, isManager]) => ({ team_id: teamId, user_id: userId, is_manager: isManager })),
    )
    .onConflict((oc) =>
      oc.columns(['team_id', 'user_id']).doUpdateSet((eb) => ({ is_manager: eb.ref('excluded.is_manager') })),
    )
    .execute();
}

/** Makes `members` the team's whole membership. */
export async function replaceMembers(
  db: TenantDb,
  teamId: string,
  members: readonly TeamMemberInput[],
): Promise<void> {
  const userIds = [...new Set(members.map((member) => member.userId))];
  let remove = db.deleteFrom('team_members').where('team_id', '=', teamId);
  if (userIds.length > 0) remove = remove.where('user_id', 'not in', userIds);
  await remove.execute();
  await upsertMembers(db, teamId, members, 'body.members');
}

/** Whether the user was a member (and is no longer). */
export async function removeMember(db: TenantDb, teamId: string, userId: string): Promise<boolean> {
  const row = await db
    .deleteFrom('team_members')
    .where('team_id', '=', teamId)
    .where('user_id', '=', userId)
    .returning('user_id')
    .executeTakeFirst();
  return row !== undefined;
}
