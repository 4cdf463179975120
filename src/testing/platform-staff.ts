import { randomBytes } from 'node:crypto';
import { hashPassword } from '../staff/passwords.js';
import type { TestApp } from './test-app.js';

export interface TestStaff {
  id: string;
  email: string;
  name: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** `Authorization: Bearer <access token>`, for `/api/platform`. */
  headers: Record<string, string>;
}

const testPassword = 'staff horse battery staple 42';
let testPasswordHash: Promise<string> | undefined;

/**
 * Adds an active platform staff member (straight into `platform.staff_users`) and logs them in
 * through `POST /api/auth/platform/login`.
 */
export async function addTestStaff(
  test: TestApp,
  role: 'platform_admin' | 'platform_support',
  options: { name?: string } = {},
): Promise<TestStaff> {
  const email = `${role}-${randomBytes(4).toString('hex')}@staff.test`;
  const name = options.name ?? `Staff ${role}`;
  const row = await test.app.services.platform
    .insertInto('staff_users')
    .values({
      email,
      name,
      role,
      password_hash: await (testPasswordHash ??= hashPassword(testPassword)),
      password_changed_at: new Date(),
      last_login_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const login = await test.request<any>('/api/auth/platform/login', {
    body: { email, password: testPassword },
  });
  if (login.status !== 200) throw new Error(`staff login failed: ${login.text}`);
  const { accessToken, refreshToken } = login.body.data;
  return {
    id: row.id,
    email,
    name,
    password: testPassword,
    accessToken,
    refreshToken,
    headers: { authorization: `Bearer ${accessToken}` },
  };
}
