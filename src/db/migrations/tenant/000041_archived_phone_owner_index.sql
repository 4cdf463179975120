-- Sticky ownership asks for the newest archived lead of a phone (`order by created_at desc
-- limit 1`). With the phone alone in the index, a planner without statistics yet (a tenant's
-- first minute, before autovacuum has analysed `leads`) walked `leads_created_idx` instead,
-- reading every lead of the tenant on each ingest. With the order in the index, the lookup is
-- one probe whatever the statistics say.
drop index leads_archived_phone_idx;
create index leads_archived_phone_idx on leads (phone, created_at desc) where archived_at is not null;
