import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;

export type UserStatus = 'invited' | 'active' | 'disabled';

export interface RolesTable {
  id: Generated<string>;
  key: string;
  name: string;
  description: string | null;
  /** `leads.read:own`, `pii.read`, … (src/auth/permissions.ts). */
  grants: string[];
  built_in: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface UsersTable {
  id: Generated<string>;
  number: ColumnType<string, never, never>;
  email: string;
  name: string;
  phone: string | null;
  role_id: string;
  status: Generated<UserStatus>;
  agent_id: string | null;
  password_hash: string | null;
  password_changed_at: Date | null;
  last_login_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface TeamsTable {
  id: Generated<string>;
  name: string;
  description: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
  is_manager: Generated<boolean>;
  added_at: CreatedAt;
}

export interface UserTokensTable {
  token_hash: string;
  user_id: string;
  purpose: 'invitation' | 'password_reset';
  expires_at: Date;
  used_at: Date | null;
  created_at: CreatedAt;
}

export interface StaffTenantTables {
  roles: RolesTable;
  users: UsersTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  user_tokens: UserTokensTable;
}

export interface StaffUsersTable {
  id: Generated<string>;
  email: string;
  name: string;
  role: 'platform_admin' | 'platform_support';
  status: Generated<'active' | 'disabled'>;
  password_hash: string | null;
  password_changed_at: Date | null;
  last_login_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface AuthSessionsTable {
  id: Generated<string>;
  /** null: a platform staff session. */
  tenant_id: string | null;
  user_id: string;
  created_at: CreatedAt;
  refreshed_at: Generated<Date>;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
  user_agent: string | null;
  ip: string | null;
}

export interface RefreshTokensTable {
  token_hash: string;
  session_id: string;
  issued_at: CreatedAt;
  rotated_at: Date | null;
}

export interface LoginFailuresTable {
  key: string;
  failures: number;
  locked_until: Date | null;
  last_failure_at: Date;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: CreatedAt;
  actor_type: 'staff_user' | 'admin_token' | 'cli';
  actor_id: string | null;
  actor_name: string;
  action: string;
  tenant_id: string | null;
  details: ColumnType<unknown, string | undefined, string>;
}

export interface StaffPlatformTables {
  staff_users: StaffUsersTable;
  auth_sessions: AuthSessionsTable;
  refresh_tokens: RefreshTokensTable;
  login_failures: LoginFailuresTable;
  audit_log: AuditLogTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends StaffTenantTables {}
}

declare module '../db/platform-database.js' {
  interface PlatformDatabase extends StaffPlatformTables {}
}
