-- Staff accounts (issue 17): login sessions of tenant users and platform staff, their rotating
-- refresh tokens, failed-login throttling, platform staff and the record of platform changes.

-- Platform staff (onboarding): log in to /api/platform beside the shared admin token.
create table staff_users (
  id uuid primary key default gen_random_uuid(),
  email text not null,
  name text not null,
  role text not null check (role in ('platform_admin', 'platform_support')),
  status text not null default 'active' check (status in ('active', 'disabled')),
  password_hash text,
  password_changed_at timestamptz(3),
  last_login_at timestamptz(3),
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create unique index staff_users_email_key on staff_users (lower(email));

-- A session is one login: a family of refresh tokens. tenant_id null = a platform staff session.
create table auth_sessions (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid references tenants (id) on delete cascade,
  user_id uuid not null,
  created_at timestamptz(3) not null default now(),
  refreshed_at timestamptz(3) not null default now(),
  -- Absolute end: refreshing never extends a session past it.
  expires_at timestamptz(3) not null,
  revoked_at timestamptz(3),
  revoked_reason text,
  user_agent text,
  ip text
);
create index auth_sessions_user_idx on auth_sessions (tenant_id, user_id) where revoked_at is null;

-- Only the SHA-256 of a refresh token is kept. A rotated token keeps its row: presented again
-- after the grace window it revokes its session (theft detection).
create table refresh_tokens (
  token_hash text primary key,
  session_id uuid not null references auth_sessions (id) on delete cascade,
  issued_at timestamptz(3) not null default now(),
  rotated_at timestamptz(3)
);
create index refresh_tokens_session_idx on refresh_tokens (session_id);

-- Failed logins per account and per client address: exponential lockout.
create table login_failures (
  key text primary key,
  failures integer not null default 0,
  locked_until timestamptz(3),
  last_failure_at timestamptz(3) not null default now()
);

-- Who changed what on the platform: a staff user or the shared admin token.
create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz(3) not null default now(),
  actor_type text not null check (actor_type in ('staff_user', 'admin_token', 'cli')),
  actor_id uuid,
  actor_name text not null,
  action text not null,
  tenant_id uuid,
  details jsonb not null default '{}'::jsonb
);
create index audit_log_tenant_idx on audit_log (tenant_id, at desc);

-- An API key may act as one of its tenant's users (their role and visibility) instead of as the tenant.
alter table api_keys add column acts_as_user_id uuid;
