-- Composite indexes for the commonest filter pairs of the lead list over live leads: the
-- page is read in sort order straight from the index, and the (capped) total counts index
-- entries instead of intersecting two bitmaps over the heap.
create index leads_live_status_state_idx on leads (status, lower(state), created_at desc, id desc)
  where archived_at is null;
create index leads_live_agent_status_score_idx on leads (assigned_agent_id, status, score desc, id desc)
  where archived_at is null;
