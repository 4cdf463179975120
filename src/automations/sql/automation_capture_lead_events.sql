-- automation_capture_lead_events: the trigger function of `leads_automation_outbox` (AFTER
-- INSERT or UPDATE of status, tags, assigned_agent_id on `leads`, created by tenant migration
-- 000022). Writes the lead's internal automation events into `automation_outbox` in the
-- transaction that changes the lead; drainInternalEvents (src/automations/internal-events.ts)
-- drains it. Only the triggers an active rule listens to are written; changes the engine makes
-- itself (switchyard.automations_inline = 'on') are cascaded inline and skipped here.
-- Live definition: edit it here, src/db/migrate.ts reapplies it (CONTRIBUTING.md, "Migrations").

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
