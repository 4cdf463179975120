-- One row per (task, tick): the process that inserts it runs the tick, the others skip it.
create table cron_ticks (
  task text not null,
  tick timestamptz not null,
  claimed_by text not null,
  claimed_at timestamptz not null default now(),
  primary key (task, tick)
);
create index cron_ticks_claimed_idx on cron_ticks (claimed_at);
