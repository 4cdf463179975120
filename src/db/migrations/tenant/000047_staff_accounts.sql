-- Staff accounts (issue 17): the people who log in, their roles and teams.

-- A role is a named set of grants: 'leads.read:own', 'pii.read', … (src/auth/permissions.ts).
create table roles (
  id uuid primary key default gen_random_uuid(),
  key text not null unique check (key ~ '^[a-z][a-z0-9_]{1,39}$'),
  name text not null,
  description text,
  grants text[] not null default '{}',
  built_in boolean not null default false,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);

insert into roles (key, name, description, grants, built_in) values
  ('owner', 'Owner', 'Everything, including making other owners; at least one user is always an owner',
    array['leads.read:all', 'leads.write:all', 'leads.assign:all', 'leads.export:all', 'pii.read',
      'users.manage', 'settings.manage', 'automations.manage', 'channels.manage'], true),
  ('admin', 'Admin', 'Everything but owners',
    array['leads.read:all', 'leads.write:all', 'leads.assign:all', 'leads.export:all', 'pii.read',
      'users.manage', 'settings.manage', 'automations.manage', 'channels.manage'], true),
  ('manager', 'Manager', 'Their teams'' leads: read, work, assign and export',
    array['leads.read:team', 'leads.write:team', 'leads.assign:team', 'leads.export:team', 'pii.read'], true),
  ('agent', 'Sales agent', 'Their own leads',
    array['leads.read:own', 'leads.write:own', 'pii.read'], true),
  ('viewer', 'Viewer', 'Reads every lead, personal data masked',
    array['leads.read:all'], true);

create sequence user_number_seq start 1001;

create table users (
  id uuid primary key default gen_random_uuid(),
  number bigint not null unique default nextval('user_number_seq'),
  email text not null,
  name text not null,
  phone text,
  role_id uuid not null references roles (id),
  status text not null default 'invited' check (status in ('invited', 'active', 'disabled')),
  -- A sales agent who logs in: the user of an agent profile (leads are assigned to agents).
  agent_id uuid unique references agents (id) on delete set null,
  password_hash text,
  password_changed_at timestamptz(3),
  last_login_at timestamptz(3),
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create unique index users_email_key on users (lower(email));
create index users_role_idx on users (role_id);

create table teams (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  description text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create unique index teams_name_key on teams (lower(name));

create table team_members (
  team_id uuid not null references teams (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  is_manager boolean not null default false,
  added_at timestamptz(3) not null default now(),
  primary key (team_id, user_id)
);
create index team_members_user_idx on team_members (user_id);

-- Single-use emailed tokens (invitation, password reset); only their SHA-256 is kept.
create table user_tokens (
  token_hash text primary key,
  user_id uuid not null references users (id) on delete cascade,
  purpose text not null check (purpose in ('invitation', 'password_reset')),
  expires_at timestamptz(3) not null,
  used_at timestamptz(3),
  created_at timestamptz(3) not null default now()
);
create index user_tokens_user_idx on user_tokens (user_id, purpose);
