-- Issue 17: who did it (activity entries, notes; imports and cohort runs that act later), and
-- the erasure permission.

-- The actor of an activity entry: a user (their id), an API key (its id) or the system (no id).
-- `actor` stays the display name (user name, key label, `automation: …`); rows written before
-- this migration have no type.
alter table lead_activities
  add column actor_type text check (actor_type in ('user', 'api_key', 'system')),
  add column actor_id text;
alter table lead_notes
  add column author_type text check (author_type in ('user', 'api_key', 'system')),
  add column author_id text;
-- Background work started by someone records them as its actor when it runs.
alter table imports
  add column actor_type text check (actor_type in ('user', 'api_key', 'system')),
  add column actor_id text;
alter table cohort_assignments
  add column actor_type text check (actor_type in ('user', 'api_key', 'system')),
  add column actor_id text;

-- `pii.erase` (POST /api/crm/leads/:id/erase): owners and admins.
update roles set grants = array_append(grants, 'pii.erase')
  where built_in and key in ('owner', 'admin') and not ('pii.erase' = any (grants));
