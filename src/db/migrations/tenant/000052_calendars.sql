-- Issue 20: working calendars (business hours per weekday in a time zone, and holidays), used to
-- compute business-time deadlines. At most one default calendar per tenant; without a stored one
-- the tenant's time zone, Monday–Saturday 10:00–19:00, no holidays applies (see src/calendars).
create table calendars (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  team_id uuid references teams (id) on delete set null,
  timezone text not null,
  -- { "mon": [["10:00","19:00"]], ... }: wall-clock intervals per weekday, validated by the API.
  intervals jsonb not null,
  -- 'YYYY-MM-DD', or '--MM-DD' for the date every year.
  holidays text[] not null default '{}',
  is_default boolean not null default false,
  created_at timestamptz(3) not null default now(),
  updated_at timestamptz(3) not null default now()
);
create unique index calendars_one_default on calendars (is_default) where is_default;
create index calendars_team_idx on calendars (team_id) where team_id is not null;
