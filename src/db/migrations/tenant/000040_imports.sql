-- A background CSV import: the upload is kept in the object store (one object per chunk) and
-- the imports.run job ingests it batch by batch; each batch commits its leads together with
-- the counts and the last line it reached, so a retried job continues where it stopped.
create table imports (
  id uuid primary key default gen_random_uuid(),
  status text not null default 'uploading'
    check (status in ('uploading', 'queued', 'running', 'completed', 'failed')),
  file_name text,
  actor text,
  assign boolean not null default true,
  mapping jsonb not null default '{}',
  bytes bigint not null default 0,
  chunks int not null default 0,
  processed_bytes bigint not null default 0,
  last_line int not null default 0,
  total int not null default 0,
  created int not null default 0,
  duplicates int not null default 0,
  failed int not null default 0,
  -- The first 1,000 row errors: [{ "line": n, "reason": "..." }].
  errors jsonb not null default '[]',
  failure text,
  created_at timestamptz(3) not null default now(),
  started_at timestamptz(3),
  completed_at timestamptz(3),
  updated_at timestamptz(3) not null default now()
);
create index imports_created_idx on imports (created_at desc, id);
