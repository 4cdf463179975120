create table automation_rules (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  trigger text not null,
  conditions jsonb not null default '[]',
  actions jsonb not null,
  active boolean not null default true,
  delay_minutes integer check (delay_minutes > 0),
  reminder_minutes_before integer check (reminder_minutes_before >= 0),
  appointment_time_variable text,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create index automation_rules_trigger_idx on automation_rules (trigger, created_at) where active;
