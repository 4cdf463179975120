-- Issue 21: an import may queue its leads for calling (`callQueue=true`, a priority, a campaign);
-- a background import keeps the option for its job and counts the leads its batches queued.
alter table imports add column call_queue jsonb;
alter table imports add column queued integer not null default 0;
