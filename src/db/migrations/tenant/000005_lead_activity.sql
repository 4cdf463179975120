create table lead_activities (
  id bigint generated always as identity primary key,
  lead_id uuid not null references leads (id) on delete cascade,
  kind text not null,
  actor text,
  data jsonb not null default '{}',
  created_at timestamptz(3) not null default clock_timestamp()
);
create index lead_activities_lead_idx on lead_activities (lead_id, created_at, id);

create table lead_notes (
  id uuid primary key default gen_random_uuid(),
  lead_id uuid not null references leads (id) on delete cascade,
  body text not null,
  author text,
  created_at timestamptz(3) not null default clock_timestamp()
);
create index lead_notes_lead_idx on lead_notes (lead_id, created_at);
