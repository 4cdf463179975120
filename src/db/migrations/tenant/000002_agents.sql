-- Sales reps who receive leads. The assignment engine maintains the per-day counter
-- (assigned_today for the tenant-local assigned_date) and the round-robin position
-- (assignment_seq) under row locks.
create table agents (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  email text,
  phone text,
  role text not null default 'agent',
  languages text[] not null default '{}',
  territories text[] not null default '{}',
  daily_limit integer not null default 0 check (daily_limit >= 0),
  weight integer not null default 1 check (weight between 1 and 1000),
  active boolean not null default true,
  available boolean not null default true,
  work_start time,
  work_end time,
  work_days smallint[],
  assigned_date date,
  assigned_today integer not null default 0,
  last_assigned_at timestamptz(3),
  assignment_seq bigint,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create sequence agent_assignment_seq;
