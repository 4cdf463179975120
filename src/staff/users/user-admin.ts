import type { Updateable } from 'kysely';
import type { AppServices } from '../../app/services.js';
import { AppError } from '../../http/app-error.js';
import type { TenantCaller } from '../../http/request-context.js';
import { orNotFound } from '../../http/or-not-found.js';
import { announceStaffChange } from '../announce.js';
import type { InvitationDelivery } from '../invitations/invitation-sender.js';
import { inviteUser } from '../invitations/invite-user.js';
import { assertPasswordPolicy } from '../passwords.js';
import { hashPassword } from '../passwords.js';
import type { UsersTable, UserStatus } from '../staff.tables.js';
import {
  assertAgentFree,
  findUser,
  findUserRow,
  insertNewUser,
  lockOwners,
  otherActiveOwners,
  replaceUserTeams,
  requireRole,
  updateUserRow,
} from './user.repository.js';
import type { CreateUserInput, UpdateUserInput, User } from './user.schemas.js';

type Caller = Pick<TenantCaller, 'handle' | 'user' | 'actor'>;
type Services = Pick<AppServices, 'platform' | 'tenantChanges' | 'staffAuth'>;

/**
 * Whether the caller may make, change or disable owners: an owner, or an API key acting as its
 * tenant (the tenant's own credential, which creates its first owner).
 */
const callerIsOwner = (caller: Caller) => caller.user === null || caller.user.role === 'owner';

const onlyOwners = () =>
  new AppError('forbidden', 'Only an owner may make owners, or change or disable an owner', {
    details: { role: 'owner' },
  });

const lastOwner = () =>
  new AppError(
    'conflict',
    'This is the last active owner: make another user an owner before demoting or disabling this one',
    { details: { reason: 'last_owner' } },
  );

/**
 * Creates a user: with `password`, active at once (the admin passes the password on); without,
 * invited (the invitation is answered beside the user, or emailed).
 */
export async function createUser(
  services: AppServices,
  caller: Caller,
  input: CreateUserInput,
): Promise<User & { invitation?: InvitationDelivery }> {
  const { handle } = caller;
  if (input.role === 'owner' && !callerIsOwner(caller)) throw onlyOwners();
  if (input.password !== undefined) assertPasswordPolicy(input.password);
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  const { id } = await handle.db.transaction().execute(async (trx) => {
    const created = await insertNewUser(trx, { ...input, passwordHash });
    if (input.teamIds) await replaceUserTeams(trx, created.id, input.teamIds);
    return created;
  });
  await announceStaffChange(services, handle.tenant.id);
  const invitation = passwordHash ? undefined : await inviteUser(services, handle, id, caller.actor);
  const user = (await findUser(handle.db, id))!;
  return invitation ? { ...user, invitation } : user;
}

/**
 * Changes a user. Owners: only an owner may touch one or make one, and the last active owner
 * can be neither demoted nor disabled (under one lock, so two concurrent demotions cannot both
 * pass). Disabling ends the user's sessions; every change drops cached access everywhere.
 */
export async function updateUser(
  services: Services,
  caller: Caller,
  idOrRef: string,
  patch: UpdateUserInput,
): Promise<User> {
  const { handle } = caller;
  const outcome = await handle.db.transaction().execute(async (trx) => {
    await lockOwners(trx);
    const row = orNotFound(await findUserRow(trx, idOrRef, { lock: true }), 'User', { id: idOrRef });
    const role = patch.role ?? row.role;
    if ((row.role === 'owner' || role === 'owner') && !callerIsOwner(caller)) throw onlyOwners();
    const status = nextStatus(row.status, row.has_password, patch.status);
    if (row.role === 'owner' && row.status === 'active' && (role !== 'owner' || status !== 'active')) {
      if ((await otherActiveOwners(trx, row.id)) === 0) throw lastOwner();
    }
    const columns: Updateable<UsersTable> = {};
    if (patch.name !== undefined) columns.name = patch.name;
    if (patch.phone !== undefined) columns.phone = patch.phone;
    if (patch.role !== undefined && patch.role !== row.role)
      columns.role_id = (await requireRole(trx, role)).id;
    if (patch.agentId !== undefined && patch.agentId !== row.agent_id) {
      if (patch.agentId) await assertAgentFree(trx, patch.agentId, row.id);
      columns.agent_id = patch.agentId;
    }
    if (status !== row.status) columns.status = status;
    await updateUserRow(trx, row.id, columns);
    if (patch.teamIds) await replaceUserTeams(trx, row.id, patch.teamIds);
    return { id: row.id, disabled: status === 'disabled' && row.status !== 'disabled' };
  });
  if (outcome.disabled) {
    await services.staffAuth.sessions.revokeUser(handle.tenant.id, outcome.id, 'user_disabled');
  }
  await announceStaffChange(services, handle.tenant.id);
  return (await findUser(handle.db, outcome.id))!;
}

/**
 * `disabled` from anywhere; `active` from disabled (back to invited when the user never set a
 * password). An invited user becomes active by accepting the invitation, not by a PATCH.
 */
function nextStatus(
  current: UserStatus,
  hasPassword: boolean,
  wanted: 'active' | 'disabled' | undefined,
): UserStatus {
  if (wanted === undefined || wanted === current) return current;
  if (wanted === 'disabled') return 'disabled';
  if (current === 'invited') {
    throw new AppError(
      'invalid_status_transition',
      'An invited user becomes active by accepting the invitation (or re-send it: POST /users/:id/invite)',
      { details: { status: current } },
    );
  }
  return hasPassword ? 'active' : 'invited';
}

/** Sends a new invitation to a user who has not accepted one yet (earlier ones stop working). */
export async function reinviteUser(
  services: AppServices,
  caller: Caller,
  idOrRef: string,
): Promise<User & { invitation: InvitationDelivery }> {
  const { handle } = caller;
  const row = orNotFound(await findUserRow(handle.db, idOrRef), 'User', { id: idOrRef });
  if (row.status !== 'invited') {
    throw new AppError(
      'invalid_status_transition',
      `Only an invited user can be invited again; this one is ${row.status}`,
      {
        details: { status: row.status },
      },
    );
  }
  if (row.role === 'owner' && !callerIsOwner(caller)) throw onlyOwners();
  const invitation = await inviteUser(services, handle, row.id, caller.actor);
  return { ...(await findUser(handle.db, row.id))!, invitation };
}
