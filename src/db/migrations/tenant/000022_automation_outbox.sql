-- Internal triggers from ordinary CRM activity, captured in the transaction that changes
-- the lead (a transactional outbox): whatever code path changes a lead, the event cannot be
-- lost between its commit and its delivery. The engine drains the outbox. Changes the
-- engine makes itself are cascaded inline and skipped here (transaction-local setting).
create table automation_outbox (
  id bigint generated always as identity primary key,
  trigger text not null,
  lead_id uuid not null,
  variables jsonb not null default '{}',
  created_at timestamptz(3) not null default clock_timestamp()
);

create function automation_capture_lead_events() returns trigger
language plpgsql
set search_path from current
as $$
begin
  if coalesce(current_setting('switchyard.automations_inline', true), '') = 'on' then
    return new;
  end if;
  if tg_op = 'INSERT' then
    insert into automation_outbox (trigger, lead_id) values ('lead_created', new.id);
    if new.assigned_agent_id is not null then
      insert into automation_outbox (trigger, lead_id, variables)
      values ('lead_assigned', new.id, jsonb_build_object('agentId', new.assigned_agent_id));
    end if;
    return new;
  end if;
  if new.status is distinct from old.status then
    insert into automation_outbox (trigger, lead_id, variables)
    values ('lead_status_changed', new.id, jsonb_build_object('from', old.status, 'to', new.status));
    if new.status in ('won', 'lost') then
      insert into automation_outbox (trigger, lead_id, variables)
      values ('deal_' || new.status, new.id, jsonb_build_object('from', old.status, 'to', new.status));
    end if;
  end if;
  insert into automation_outbox (trigger, lead_id, variables)
  select 'tag_added', new.id, jsonb_build_object('tag', t) from unnest(new.tags) t where t <> all (old.tags);
  insert into automation_outbox (trigger, lead_id, variables)
  select 'tag_removed', new.id, jsonb_build_object('tag', t) from unnest(old.tags) t where t <> all (new.tags);
  if new.assigned_agent_id is distinct from old.assigned_agent_id and new.assigned_agent_id is not null then
    insert into automation_outbox (trigger, lead_id, variables)
    values ('lead_assigned', new.id, jsonb_build_object('agentId', new.assigned_agent_id));
  end if;
  return new;
end
$$;

create trigger leads_automation_outbox
  after insert or update of status, tags, assigned_agent_id on leads
  for each row execute function automation_capture_lead_events();
