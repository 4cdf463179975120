import type { PlatformDb } from '../../db/platform-database.js';
import { AppError } from '../../http/app-error.js';
import type { TenantConnectionManager } from '../../tenancy/connection-manager.js';
import { findTenantByCode } from '../../tenancy/tenant-registry.js';
import { dummyPasswordHash, hashPassword, needsRehash, verifyPassword } from '../passwords.js';
import type { StaffAuth } from '../staff-auth.js';
import type { TokenPair } from './auth.schemas.js';
import { tenantAccountKey } from './login-throttle.js';
import { startUserSession } from './start-session.js';

export const invalidLogin = () => new AppError('unauthorized', 'Invalid email or password');

export interface LoginDeps {
  platform: PlatformDb;
  connections: TenantConnectionManager;
  auth: StaffAuth;
}

/**
 * A tenant user's login. An unknown tenant or email, a wrong password, a user not active: the
 * same 401, after the same Argon2 work (a dummy hash is verified when there is no user), so
 * answers and timing do not tell which accounts exist. Before anything is looked up, the
 * account (as typed) and the client address must not be locked by earlier failures (429).
 */
export async function logIn(
  deps: LoginDeps,
  input: { clientCode: string; email: string; password: string },
  client: { userAgent?: string; ip: string },
): Promise<TokenPair> {
  const keys = { account: tenantAccountKey(input.clientCode, input.email), address: client.ip };
  return deps.auth.throttle.guard(keys, () => verifiedLogin(deps, input, client));
}

async function verifiedLogin(
  deps: LoginDeps,
  input: { clientCode: string; email: string; password: string },
  client: { userAgent?: string; ip: string },
): Promise<TokenPair> {
  const tenant = await findTenantByCode(deps.platform, input.clientCode.toLowerCase());
  const handle = tenant ? await deps.connections.resolve(tenant) : null;
  const user = handle
    ? await handle.db
        .selectFrom('users')
        .select(['id', 'status', 'password_hash'])
        .where((eb) => eb(eb.fn('lower', ['email']), '=', input.email.toLowerCase()))
        .executeTakeFirst()
    : undefined;
  const stored = user?.password_hash ?? (await dummyPasswordHash());
  const matches = await verifyPassword(stored, input.password);
  if (!tenant || !handle || !user?.password_hash || !matches || user.status !== 'active')
    throw invalidLogin();
  if (tenant.status !== 'active') {
    throw new AppError('forbidden', 'This tenant is suspended', { details: { status: tenant.status } });
  }
  const rehash = needsRehash(user.password_hash) ? await hashPassword(input.password) : null;
  await handle.db
    .updateTable('users')
    .set({ last_login_at: new Date(), ...(rehash ? { password_hash: rehash } : {}) })
    .where('id', '=', user.id)
    .execute();
  return startUserSession(deps, handle, user.id, client);
}
