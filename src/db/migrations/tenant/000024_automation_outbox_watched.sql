-- The outbox keeps only what an active rule listens to: an entry nobody watches used to be
-- written with the lead and deleted by the next drain, on every ingest. A rule sees the
-- events that happen after it is active, as before (entries were discarded unless watched
-- when drained). The rules index (trigger, created_at) where active makes each check a probe.
create or replace function automation_capture_lead_events() returns trigger
language plpgsql
set search_path from current
as $$
declare
  watched text[];
begin
  if coalesce(current_setting('switchyard.automations_inline', true), '') = 'on' then
    return new;
  end if;
  select coalesce(array_agg(distinct trigger), '{}') into watched from automation_rules
  where active and trigger in ('lead_created', 'lead_assigned', 'lead_status_changed', 'deal_won',
    'deal_lost', 'tag_added', 'tag_removed');
  if cardinality(watched) = 0 then
    return new;
  end if;
  if tg_op = 'INSERT' then
    if 'lead_created' = any(watched) then
      insert into automation_outbox (trigger, lead_id) values ('lead_created', new.id);
    end if;
    if new.assigned_agent_id is not null and 'lead_assigned' = any(watched) then
      insert into automation_outbox (trigger, lead_id, variables)
      values ('lead_assigned', new.id, jsonb_build_object('agentId', new.assigned_agent_id));
    end if;
    return new;
  end if;
  if new.status is distinct from old.status then
    if 'lead_status_changed' = any(watched) then
      insert into automation_outbox (trigger, lead_id, variables)
      values ('lead_status_changed', new.id, jsonb_build_object('from', old.status, 'to', new.status));
    end if;
    if new.status in ('won', 'lost') and ('deal_' || new.status) = any(watched) then
      insert into automation_outbox (trigger, lead_id, variables)
      values ('deal_' || new.status, new.id, jsonb_build_object('from', old.status, 'to', new.status));
    end if;
  end if;
  if 'tag_added' = any(watched) then
    insert into automation_outbox (trigger, lead_id, variables)
    select 'tag_added', new.id, jsonb_build_object('tag', t) from unnest(new.tags) t where t <> all (old.tags);
  end if;
  if 'tag_removed' = any(watched) then
    insert into automation_outbox (trigger, lead_id, variables)
    select 'tag_removed', new.id, jsonb_build_object('tag', t) from unnest(old.tags) t where t <> all (new.tags);
  end if;
  if new.assigned_agent_id is distinct from old.assigned_agent_id and new.assigned_agent_id is not null
    and 'lead_assigned' = any(watched) then
    insert into automation_outbox (trigger, lead_id, variables)
    values ('lead_assigned', new.id, jsonb_build_object('agentId', new.assigned_agent_id));
  end if;
  return new;
end
$$;
