-- Visibility (issue 17): the user who started a background import. A caller whose leads.read
-- scope is narrower than `all` sees only the imports they started (GET /imports, /imports/:id).
alter table imports add column started_by uuid references users (id) on delete set null;
create index imports_started_by_idx on imports (started_by, created_at desc, id desc) where started_by is not null;
