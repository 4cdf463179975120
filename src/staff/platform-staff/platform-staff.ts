import { randomBytes } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { AccessTokens } from '../../auth/access-tokens.js';
import type { PlatformActor, PlatformCaller, PlatformStaffPrincipals } from '../../auth/platform-auth.js';
import type { PlatformDb } from '../../db/platform-database.js';
import { AppError } from '../../http/app-error.js';
import { pageOf, type Keyset, type Page } from '../../http/pagination.js';
import { recordPlatformChange } from '../../tenants/index.js';
import { assertPasswordPolicy } from '../passwords.js';
import { dummyPasswordHash, hashPassword, needsRehash, verifyPassword } from '../passwords.js';
import type { SessionRecord, SessionStore } from '../sessions/session-store.js';
import type { StaffUsersTable } from '../staff.tables.js';
import {
  createStaffBody,
  updateStaffBody,
  type CreateStaffInput,
  type PlatformLoginInput,
  type PlatformTokenPair,
  type StaffListQuery,
  type StaffUser,
  type UpdateStaffInput,
} from './platform-staff.schemas.js';

type StaffRow = Selectable<StaffUsersTable>;

const invalidLogin = () => new AppError('unauthorized', 'Invalid email or password');
const sessionEnded = () =>
  new AppError('unauthorized', 'The session has ended: log in again', {
    details: { reason: 'session_ended' },
  });

const staffKeyset: Keyset = {
  list: 'platform_staff',
  columns: [
    ['email', 'text'],
    ['id', 'uuid'],
  ],
  direction: 'asc',
};

function toStaffUser(row: StaffRow): StaffUser {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    status: row.status,
    lastLoginAt: row.last_login_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Platform staff accounts (`platform.staff_users`): logins on the same sessions and refresh
 * tokens as tenant users (a session with no tenant), access tokens for the `platform` audience,
 * and the accounts themselves (created by an admin or `pnpm tenant staff-add`).
 */
export class PlatformStaff implements PlatformStaffPrincipals {
  constructor(
    private readonly deps: { platform: PlatformDb; tokens: AccessTokens; sessions: SessionStore },
  ) {}

  /**
   * A staff member's login. An unknown email, a wrong password, a disabled account: the same
   * 401 after the same Argon2 work (a dummy hash when there is no account).
   */
  async logIn(
    input: PlatformLoginInput,
    client: { userAgent?: string; ip?: string },
  ): Promise<PlatformTokenPair> {
    const user = await this.deps.platform
      .selectFrom('staff_users')
      .selectAll()
      .where((eb) => eb(eb.fn('lower', ['email']), '=', input.email.trim().toLowerCase()))
      .executeTakeFirst();
    const matches = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), input.password);
    if (!user?.password_hash || !matches || user.status !== 'active') throw invalidLogin();
    const rehash = needsRehash(user.password_hash) ? await hashPassword(input.password) : null;
    await this.deps.platform
      .updateTable('staff_users')
      .set({ last_login_at: new Date(), ...(rehash ? { password_hash: rehash } : {}) })
      .where('id', '=', user.id)
      .execute();
    const { session, refreshToken } = await this.deps.sessions.create({
      tenantId: null,
      userId: user.id,
      ...client,
    });
    return this.issue(user, session.id, refreshToken);
  }

  /** A refreshed platform session's new pair; its user disabled or gone: the session ends. */
  async refreshed(session: SessionRecord, refreshToken: string): Promise<PlatformTokenPair> {
    const user = await this.activeUser(session.userId);
    if (!user) {
      await this.deps.sessions.revoke(session.id, 'user_not_active');
      throw new AppError('unauthorized', 'Invalid or expired refresh token: log in again', {
        details: { reason: 'session_ended' },
      });
    }
    return this.issue(user, session.id, refreshToken);
  }

  /** The session of a platform access token (for logout), or a 401. */
  async sessionOf(accessToken: string): Promise<string> {
    return (await this.deps.tokens.verify(accessToken, 'platform')).sid;
  }

  /**
   * The caller of a staff access token. Read per request (platform traffic is light): a session
   * ended or a staff member disabled is refused on their next request, and a role change applies
   * at once.
   */
  async authenticate(accessToken: string): Promise<PlatformCaller> {
    const claims = await this.deps.tokens.verify(accessToken, 'platform');
    const row = await this.deps.platform
      .selectFrom('auth_sessions as s')
      .innerJoin('staff_users as u', 'u.id', 's.user_id')
      .select(['u.id', 'u.name', 'u.role', 's.id as session_id'])
      .where('s.id', '=', claims.sid)
      .where('s.user_id', '=', claims.sub)
      .where('s.tenant_id', 'is', null)
      .where('s.revoked_at', 'is', null)
      .where('s.expires_at', '>', sql<Date>`now()`)
      .where('u.status', '=', 'active')
      .executeTakeFirst();
    if (!row) throw sessionEnded();
    return {
      actor: { type: 'staff_user', id: row.id, name: row.name },
      role: row.role,
      sessionId: row.session_id,
    };
  }

  /** The staff member behind a caller (`GET /api/auth/platform/me`). */
  async me(caller: PlatformCaller): Promise<StaffUser> {
    if (!caller.actor.id) throw new AppError('unauthorized', 'A staff access token is required');
    const row = await this.deps.platform
      .selectFrom('staff_users')
      .selectAll()
      .where('id', '=', caller.actor.id)
      .executeTakeFirst();
    if (!row) throw sessionEnded();
    return toStaffUser(row);
  }

  /**
   * Adds a staff member. Without a password, one is generated and answered once
   * (`initialPassword`): hand it over, it is stored only hashed.
   */
  async createStaff(
    input: CreateStaffInput,
    actor: PlatformActor,
  ): Promise<{ staff: StaffUser; initialPassword?: string }> {
    const data = createStaffBody.parse(input);
    const generated = data.password === undefined ? randomBytes(15).toString('base64url') : undefined;
    const password = data.password ?? generated!;
    assertPasswordPolicy(password);
    const passwordHash = await hashPassword(password);
    const row = await this.deps.platform.transaction().execute(async (trx) => {
      const taken = await trx
        .selectFrom('staff_users')
        .select('id')
        .where((eb) => eb(eb.fn('lower', ['email']), '=', data.email.toLowerCase()))
        .executeTakeFirst();
      if (taken) {
        throw new AppError('conflict', 'A staff member with this email already exists', {
          details: { field: 'email' },
        });
      }
      const row = await trx
        .insertInto('staff_users')
        .values({
          email: data.email,
          name: data.name,
          role: data.role,
          password_hash: passwordHash,
          password_changed_at: new Date(),
          last_login_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordPlatformChange(trx, actor, 'staff.create', {
        details: { staffId: row.id, email: row.email, name: row.name, role: row.role },
      });
      return row;
    });
    return { staff: toStaffUser(row), ...(generated ? { initialPassword: generated } : {}) };
  }

  async listStaff(query: StaffListQuery): Promise<Page<StaffUser>> {
    let select = this.deps.platform.selectFrom('staff_users').selectAll();
    if (query.status) select = select.where('status', '=', query.status);
    if (query.role) select = select.where('role', '=', query.role);
    return pageOf(select, staffKeyset, query, toStaffUser);
  }

  async getStaff(id: string): Promise<StaffUser> {
    const row = await this.deps.platform
      .selectFrom('staff_users')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw AppError.notFound('Staff member');
    return toStaffUser(row);
  }

  /**
   * Changes a staff member's name, role, status or password. Disabling or a new password ends
   * their sessions (their next request is refused); a role change applies on their next request.
   */
  async updateStaff(id: string, input: UpdateStaffInput, actor: PlatformActor): Promise<StaffUser> {
    const data = updateStaffBody.parse(input);
    if (data.password !== undefined) assertPasswordPolicy(data.password);
    const passwordHash = data.password !== undefined ? await hashPassword(data.password) : undefined;
    return this.deps.platform.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('staff_users')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!current) throw AppError.notFound('Staff member');
      const row = await trx
        .updateTable('staff_users')
        .set({
          ...(data.name !== undefined ? { name: data.name } : {}),
          ...(data.role !== undefined ? { role: data.role } : {}),
          ...(data.status !== undefined ? { status: data.status } : {}),
          ...(passwordHash ? { password_hash: passwordHash, password_changed_at: new Date() } : {}),
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const endsSessions = (data.status === 'disabled' && current.status !== 'disabled') || passwordHash;
      if (endsSessions) {
        await trx
          .updateTable('auth_sessions')
          .set({
            revoked_at: sql<Date>`now()`,
            revoked_reason: data.status === 'disabled' ? 'user_disabled' : 'password_changed',
          })
          .where('tenant_id', 'is', null)
          .where('user_id', '=', id)
          .where('revoked_at', 'is', null)
          .execute();
      }
      const changes: Record<string, unknown> = {};
      for (const field of ['name', 'role', 'status'] as const) {
        if (data[field] !== undefined && data[field] !== current[field])
          changes[field] = { from: current[field], to: data[field] };
      }
      await recordPlatformChange(trx, actor, 'staff.update', {
        details: {
          staffId: id,
          email: row.email,
          ...changes,
          ...(passwordHash ? { passwordChanged: true } : {}),
        },
      });
      return toStaffUser(row);
    });
  }

  private async activeUser(id: string): Promise<StaffRow | undefined> {
    return this.deps.platform
      .selectFrom('staff_users')
      .selectAll()
      .where('id', '=', id)
      .where('status', '=', 'active')
      .executeTakeFirst();
  }

  private async issue(user: StaffRow, sessionId: string, refreshToken: string): Promise<PlatformTokenPair> {
    const accessToken = await this.deps.tokens.sign('platform', {
      sub: user.id,
      sid: sessionId,
      role: user.role,
    });
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: this.deps.tokens.ttlSeconds,
      refreshToken,
      user: { id: user.id, email: user.email, name: user.name, role: user.role },
    };
  }
}
