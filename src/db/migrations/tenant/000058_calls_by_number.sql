-- Calling compliance (issue 21): the abandon cooldown and the daily attempt cap look up the calls
-- to a number as well as to a lead.
create index calls_to_number_idx on calls (to_number, queued_at desc);
