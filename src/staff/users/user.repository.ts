import type { TenantDb } from '../../db/tenant-database.js';
import { AppError } from '../../http/app-error.js';
import type { UserStatus } from '../staff.tables.js';

export interface NewUser {
  email: string;
  name: string;
  phone?: string | null;
  roleKey: string;
  status: UserStatus;
  agentId?: string | null;
  passwordHash?: string | null;
}

/** Inserts a user with the role named by its key (400 for an unknown role, 409 for a taken email). */
export async function insertUser(db: TenantDb, user: NewUser): Promise<{ id: string; number: string }> {
  const role = await db.selectFrom('roles').select('id').where('key', '=', user.roleKey).executeTakeFirst();
  if (!role) {
    throw AppError.invalidFields([{ path: 'body.role', message: `Unknown role '${user.roleKey}'` }]);
  }
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
