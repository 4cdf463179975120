-- Tickets of the fallback pool (each rule gets its own sequence when it is created), so
-- round robin and weighted rotations spread concurrent assignments exactly.
create sequence assignment_fallback_seq;

-- Sticky ownership looks up the owner of an archived lead with the same phone.
create index leads_archived_phone_idx on leads (phone) where archived_at is not null;

-- Rules created before tickets existed get their sequence now.
do $$
declare
  rule record;
begin
  for rule in select id from assignment_rules loop
    execute format('create sequence if not exists %I', 'assignment_rule_' || replace(rule.id::text, '-', '') || '_seq');
  end loop;
end $$;
