-- Ordered assignment rules; the first active rule whose conditions match decides the pool.
create table assignment_rules (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  position integer not null default 0,
  active boolean not null default true,
  conditions jsonb not null default '{}',
  -- null = every agent
  agent_ids uuid[],
  strategy text not null default 'round_robin' check (strategy in ('round_robin', 'weighted', 'least_loaded')),
  match_territory boolean not null default false,
  sticky boolean not null default true,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index assignment_rules_position_idx on assignment_rules (position, created_at);

-- Tickets of the fallback pool (each rule gets its own sequence when it is created), so
-- round robin and weighted rotations spread concurrent assignments exactly.
create sequence assignment_fallback_seq;
