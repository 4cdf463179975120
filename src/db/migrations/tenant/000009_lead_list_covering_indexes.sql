-- The lead list's capped total (`select count(*) from (… limit 10001)`) can be answered from an
-- index alone only when the index holds every column the filters read. A filter on lower(state)
-- or lower(city) reads the column itself, so each index INCLUDEs it; without that the count
-- visits one heap row per match.

-- City (+ tags), sorted by score: the page walks one city's live leads in score order with the
-- tag match as a filter, and the total counts that city's entries whose tags match.
create index leads_live_city_score_idx on leads (lower(city), score desc, id desc) include (city, tags)
  where archived_at is null;

-- Replaces 000008's status + state index with the same keys, now covering its total.
drop index leads_live_status_state_idx;
create index leads_live_status_state_idx on leads (status, lower(state), created_at desc, id desc)
  include (state) where archived_at is null;
