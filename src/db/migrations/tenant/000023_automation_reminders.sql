-- Appointment reminders scheduled from events that carry an appointment time, one per
-- (reminder rule, event); the cron fires them once when due.
create table automation_reminders (
  id uuid primary key default gen_random_uuid(),
  rule_id uuid not null references automation_rules (id) on delete cascade,
  source_event_id uuid not null references automation_events (id) on delete cascade,
  lead_id uuid references leads (id) on delete cascade,
  phone text,
  variables jsonb not null default '{}',
  fire_at timestamptz(3) not null,
  fired_at timestamptz(3),
  unique (rule_id, source_event_id)
);
create index automation_reminders_due_idx on automation_reminders (fire_at) where fired_at is null;
