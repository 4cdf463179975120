import { randomBytes } from 'node:crypto';
import { hashPassword } from '../staff/passwords.js';
import { insertUser } from '../staff/users/user.repository.js';
import { findTenantByCode } from '../tenancy/tenant-registry.js';
import type { TestApp, TestTenant } from './test-app.js';

async function handleOf(test: TestApp, tenant: TestTenant) {
  const { services } = test.app;
  return services.connections.resolve((await findTenantByCode(services.platform, tenant.tenant.clientCode))!);
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** `Authorization: Bearer <access token>`, for `tenantClient`/`request`. */
  headers: Record<string, string>;
}

/** One hash for every test user: Argon2 at OWASP's parameters costs ~50 ms a call. */
const testPassword = 'correct horse battery staple 42';
let testPasswordHash: Promise<string> | undefined;

/**
 * Adds an active user of `role` to the tenant (straight into its schema: the users API is not
 * what these tests are about) and logs them in through `POST /api/auth/login`.
 */
export async function addTestUser(
  test: TestApp,
  tenant: TestTenant,
  options: { role: string; agentId?: string | null; email?: string; name?: string; teamIds?: string[] },
): Promise<TestUser> {
  const handle = await handleOf(test, tenant);
  const email = options.email ?? `${options.role}-${randomBytes(4).toString('hex')}@example.test`;
  const { id } = await insertUser(handle.db, {
    email,
    name: options.name ?? `Test ${options.role}`,
    roleKey: options.role,
    status: 'active',
    agentId: options.agentId ?? null,
    passwordHash: await (testPasswordHash ??= hashPassword(testPassword)),
  });
  for (const teamId of options.teamIds ?? []) {
    await handle.db.insertInto('team_members').values({ team_id: teamId, user_id: id }).execute();
  }
  const login = await test.request<any>('/api/auth/login', {
    body: { clientCode: tenant.tenant.clientCode, email, password: testPassword },
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.text}`);
  const { accessToken, refreshToken } = login.body.data;
  return {
    id,
    email,
    password: testPassword,
    accessToken,
    refreshToken,
    headers: { authorization: `Bearer ${accessToken}` },
  };
}

/** A team straight into the tenant's schema. */
export async function addTestTeam(test: TestApp, tenant: TestTenant, name: string): Promise<string> {
  const handle = await handleOf(test, tenant);
  const row = await handle.db
    .insertInto('teams')
    .values({ name, description: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
