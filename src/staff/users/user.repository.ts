import { sql, type Updateable } from 'kysely';
import type { TenantDb } from '../../db/tenant-database.js';
import { AppError } from '../../http/app-error.js';
import { pageOf, type Keyset, type Page } from '../../http/pagination.js';
import type { UsersTable, UserStatus } from '../staff.tables.js';
import { userRef } from './user-principal.js';
import type { User, UserListQuery } from './user.schemas.js';

export interface NewUser {
  email: string;
  name: string;
  phone?: string | null;
  roleKey: string;
  status: UserStatus;
  agentId?: string | null;
  passwordHash?: string | null;
}

/** The role named by `key`, or a 400 at `path`. */
export async function requireRole(
  db: TenantDb,
  key: string,
  path = 'body.role',
): Promise<{ id: string; key: string }> {
  const role = await db.selectFrom('roles').select(['id', 'key']).where('key', '=', key).executeTakeFirst();
  if (!role) throw AppError.invalidFields([{ path, message: `Unknown role '${key}'` }]);
  return role;
}

/** Inserts a user with the role named by its key (400 for an unknown role, 409 for a taken email). */
export async function insertUser(db: TenantDb, user: NewUser): Promise<{ id: string; number: string }> {
  const role = await requireRole(db, user.roleKey);
  return db
    .insertInto('users')
    .values({
      email: user.email,
      name: user.name,
      phone: user.phone ?? null,
      role_id: role.id,
      status: user.status,
      agent_id: user.agentId ?? null,
      password_hash: user.passwordHash ?? null,
      password_changed_at: user.passwordHash ? new Date() : null,
      last_login_at: null,
    })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow();
}

/** 409 when another user has this email (case-insensitive). */
export async function assertEmailFree(db: TenantDb, email: string, exceptUserId?: string): Promise<void> {
  let query = db
    .selectFrom('users')
    .select('id')
    .where(sql<boolean>`lower(email) = lower(${email})`);
  if (exceptUserId) query = query.where('id', '<>', exceptUserId);
  if (await query.executeTakeFirst()) {
    throw new AppError('conflict', `A user with the email ${email} already exists`, {
      details: { field: 'email' },
    });
  }
}

/** 400 for an agent that does not exist, 409 for one that already has a user. */
export async function assertAgentFree(db: TenantDb, agentId: string, exceptUserId?: string): Promise<void> {
  const agent = await db.selectFrom('agents').select('id').where('id', '=', agentId).executeTakeFirst();
  if (!agent) throw AppError.invalidFields([{ path: 'body.agentId', message: `Unknown agent ${agentId}` }]);
  let query = db.selectFrom('users').select(['id', 'number']).where('agent_id', '=', agentId);
  if (exceptUserId) query = query.where('id', '<>', exceptUserId);
  const taken = await query.executeTakeFirst();
  if (taken) {
    throw new AppError(
      'conflict',
      `Agent ${agentId} is already the profile of user ${userRef(taken.number)}`,
      {
        details: { field: 'agentId', userId: taken.id },
      },
    );
  }
}

/** 400 naming the team ids that name no team. */
export async function assertTeamsExist(
  db: TenantDb,
  teamIds: readonly string[],
  path: string,
): Promise<void> {
  if (teamIds.length === 0) return;
  const found = await db.selectFrom('teams').select('id').where('id', 'in', teamIds).execute();
  const known = new Set(found.map((row) => row.id));
  const missing = teamIds.filter((id) => !known.has(id));
  if (missing.length > 0) {
    throw AppError.invalidFields([{ path, message: `Unknown teams: ${missing.join(', ')}` }]);
  }
}

/**
 * Makes the user a member of exactly `teamIds`: memberships kept keep their manager flag, new
 * ones are plain members.
 */
export async function replaceUserTeams(
  db: TenantDb,
  userId: string,
  teamIds: readonly string[],
): Promise<void> {
  const unique = [...new Set(teamIds)];
  await assertTeamsExist(db, unique, 'body.teamIds');
  let remove = db.deleteFrom('team_members').where('user_id', '=', userId);
  if (unique.length > 0) remove = remove.where('team_id', 'not in', unique);
  await remove.execute();
  if (unique.length === 0) return;
  await db
    .insertInto('team_members')
    .values(unique.map((teamId) => ({ team_id: teamId, user_id: userId })))
    .onConflict((oc) => oc.columns(['team_id', 'user_id']).doNothing())
    .execute();
}

export interface UserRow {
  id: string;
  number: string;
  email: string;
  name: string;
  phone: string | null;
  role: string;
  role_id: string;
  status: UserStatus;
  agent_id: string | null;
  has_password: boolean;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function selectUsers(db: TenantDb) {
  return db
    .selectFrom('users as u')
    .innerJoin('roles as r', 'r.id', 'u.role_id')
    .select([
      'u.id',
      'u.number',
      'u.email',
      'u.name',
      'u.phone',
      'r.key as role',
      'u.role_id',
      'u.status',
      'u.agent_id',
      sql<boolean>`u.password_hash is not null`.as('has_password'),
      'u.last_login_at',
      'u.created_at',
      'u.updated_at',
    ]);
}

/** A user's row by uuid or reference (`U-1001`), optionally locked; undefined when absent. */
export async function findUserRow(
  db: TenantDb,
  idOrRef: string,
  options: { lock?: boolean } = {},
): Promise<UserRow | undefined> {
  const ref = /^U-(\d+)$/i.exec(idOrRef);
  let query = selectUsers(db);
  query = ref ? query.where('u.number', '=', ref[1]!) : query.where('u.id', '=', idOrRef);
  if (options.lock) query = query.forUpdate('u');
  return query.executeTakeFirst();
}

type UserTeam = User['teams'][number];

async function teamsOf(db: TenantDb, userIds: readonly string[]): Promise<Map<string, UserTeam[]>> {
  const byUser = new Map<string, UserTeam[]>();
  if (userIds.length === 0) return byUser;
  const rows = await db
    .selectFrom('team_members as m')
    .innerJoin('teams as t', 't.id', 'm.team_id')
    .select(['m.user_id', 't.id', 't.name', 'm.is_manager'])
    .where('m.user_id', 'in', userIds)
    .orderBy('t.name')
    .orderBy('t.id')
    .execute();
  for (const row of rows) {
    const teams = byUser.get(row.user_id) ?? [];
    teams.push({ id: row.id, name: row.name, isManager: row.is_manager });
    byUser.set(row.user_id, teams);
  }
  return byUser;
}

function toUser(row: Omit<UserRow, 'role_id' | 'has_password'>, teams: UserTeam[]): User {
  return {
    id: row.id,
    ref: userRef(row.number),
    email: row.email,
    name: row.name,
    phone: row.phone,
    role: row.role,
    status: row.status,
    agentId: row.agent_id,
    teams,
    lastLoginAt: row.last_login_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A user by uuid or reference, with their teams; undefined when absent. */
export async function findUser(db: TenantDb, idOrRef: string): Promise<User | undefined> {
  const row = await findUserRow(db, idOrRef);
  if (!row) return undefined;
  const teams = await teamsOf(db, [row.id]);
  return toUser(row, teams.get(row.id) ?? []);
}

const usersKeyset: Keyset = { list: 'users', columns: [['u.number', 'bigint']], direction: 'asc' };

/** Users by reference (oldest first), filtered by status, role key, team and name/email. */
export async function listUsers(db: TenantDb, filter: UserListQuery): Promise<Page<User>> {
  let query = selectUsers(db);
  if (filter.status) query = query.where('u.status', '=', filter.status);
  if (filter.role) query = query.where('r.key', '=', filter.role);
  if (filter.teamId) {
    const teamId = filter.teamId;
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('team_members as tm')
          .select('tm.user_id')
          .whereRef('tm.user_id', '=', 'u.id')
          .where('tm.team_id', '=', teamId),
      ),
    );
  }
  if (filter.q) {
    const pattern = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or([eb('u.name', 'ilike', pattern), eb('u.email', 'ilike', pattern)]));
  }
  const page = await pageOf(query, usersKeyset, filter, (row) => row);
  const teams = await teamsOf(
    db,
    page.items.map((row) => row.id),
  );
  return { ...page, items: page.items.map((row) => toUser(row, teams.get(row.id) ?? [])) };
}

export async function updateUserRow(
  db: TenantDb,
  id: string,
  columns: Updateable<UsersTable>,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ ...columns, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .execute();
}

/**
 * Takes the lock that serialises every change which could leave the tenant without an active
 * owner (demoting or disabling one): the owner role's row. Taken first in the transaction,
 * before any user row, by every such change.
 */
export async function lockOwners(db: TenantDb): Promise<void> {
  await db.selectFrom('roles').select('id').where('key', '=', 'owner').forUpdate().execute();
}

/** The active owners other than `userId` (under `lockOwners`: as the last holder committed them). */
export async function otherActiveOwners(db: TenantDb, userId: string): Promise<number> {
  const row = await db
    .selectFrom('users as u')
    .innerJoin('roles as r', 'r.id', 'u.role_id')
    .select((eb) => eb.fn.countAll<string>().as('count'))
    .where('r.key', '=', 'owner')
    .where('u.status', '=', 'active')
    .where('u.id', '<>', userId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * Inserts a user within the caller's transaction after the checks that give clear answers:
 * a taken email or agent profile (409), an unknown role or agent (400). Unique indexes still
 * guard against a concurrent insert (409 as well).
 */
export async function insertNewUser(
  trx: TenantDb,
  input: {
    email: string;
    name: string;
    phone?: string | null;
    role: string;
    agentId?: string | null;
    passwordHash: string | null;
  },
): Promise<{ id: string; number: string }> {
  await assertEmailFree(trx, input.email);
  await requireRole(trx, input.role);
  if (input.agentId) await assertAgentFree(trx, input.agentId);
  return insertUser(trx, {
    email: input.email.toLowerCase(),
    name: input.name,
    phone: input.phone ?? null,
    roleKey: input.role,
    status: input.passwordHash ? 'active' : 'invited',
    agentId: input.agentId ?? null,
    passwordHash: input.passwordHash,
  });
}
