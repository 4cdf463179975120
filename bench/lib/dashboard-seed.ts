import type pg from 'pg';
import { sqlTextArray as array } from './seeding.js';

const currencies = ['EUR', 'USD', 'INR', 'GBP'];

/**
 * Seeds the dashboard bench's tenant (schema `s`, quoted) straight in SQL: a default deal pipeline
 * (4 open stages, won, lost) and a default lead pipeline (4 stages), `totalLeads` leads and
 * `totalDeals` deals created over the last year with their stage history, owned by `agentIds`.
 */
export async function seedDashboardTenant(
  client: pg.Client,
  s: string,
  agentIds: string[],
  totalLeads: number,
  totalDeals: number,
) {
  const agentCount = agentIds.length;
  // A default deal pipeline (4 open stages, won, lost) and a default lead pipeline (4 stages).
  const dealPipeline = (
    await client.query<{ id: string }>(
      `insert into ${s}.pipelines (kind, name, is_default) values ('deal', 'Sales', true) returning id`,
    )
  ).rows[0]!.id;
  const dealStages = (
    await client.query<{ id: string }>(
      `insert into ${s}.pipeline_stages (pipeline_id, position, name, probability, outcome)
       select $1, n, 'Stage ' || n, n * 15, case n when 5 then 'won' when 6 then 'lost' end
       from generate_series(1, 6) n order by n returning id`,
      [dealPipeline],
    )
  ).rows.map((row) => row.id);
  const leadPipeline = (
    await client.query<{ id: string }>(
      `insert into ${s}.pipelines (kind, name, is_default) values ('lead', 'Intake', true) returning id`,
    )
  ).rows[0]!.id;
  const leadStages = (
    await client.query<{ id: string }>(
      `insert into ${s}.pipeline_stages (pipeline_id, position, name)
       select $1, n, 'Step ' || n from generate_series(1, 4) n order by n returning id`,
      [leadPipeline],
    )
  ).rows.map((row) => row.id);

  // Leads: created over the last year, 1 in 25 unassigned; each went through 1–4 lead stages,
  // one every two days from its creation; 1 in 5 converted into a contact.
  await client.query(
    `insert into ${s}.leads (first_name, phone, status, assigned_agent_id, pipeline_id, stage_id,
       stage_entered_at, created_at, updated_at)
     select 'Lead ' || i, '+9170' || lpad(i::text, 8, '0'), 'new',
       case when i % 25 <> 0 then (${array(agentIds)}::uuid[])[1 + (abs(hashint4(i + 1)) % ${agentCount})::int] end,
       $1, (${array(leadStages)}::uuid[])[1 + abs(hashint4(i + 2)) % 4],
       now() - (i % 365) * interval '1 day' - (i::bigint * 7919 % 86400) * interval '1 second'
         + (abs(hashint4(i + 2)) % 4) * interval '2 days',
       now() - (i % 365) * interval '1 day' - (i::bigint * 7919 % 86400) * interval '1 second',
       now()
     from generate_series(1, ${totalLeads}) i`,
    [leadPipeline],
  );
  await client.query(
    `insert into ${s}.stage_history (record_kind, record_id, pipeline_id, stage_id, entered_at, exited_at)
     select 'lead', l.id, l.pipeline_id, (${array(leadStages)}::uuid[])[m],
       l.created_at + (m - 1) * interval '2 days',
       case when m < k.n then l.created_at + m * interval '2 days' end
     from ${s}.leads l
     cross join lateral (select 1 + abs(hashint4(l.number::int + 2)) % 4 as n) k
     cross join lateral generate_series(1, k.n) m`,
  );
  await client.query(
    `with made as (
       insert into ${s}.contacts (lead_id, first_name, phone)
       select id, first_name, phone from ${s}.leads where number % 5 = 0 returning id, lead_id)
     update ${s}.leads l set contact_id = made.id from made where made.lead_id = l.id`,
  );

  // Deals: created over the last year; each went through 1–4 open stages, one every three days,
  // then 1 in 6 won (a third of those then closed) and 1 in 6 lost.
  await client.query(
    `insert into ${s}.deals (number, title, pipeline_id, stage_id, owner_agent_id, amount, currency,
       status, closed_at, stage_entered_at, created_at, updated_at)
     select i, 'Deal ' || i, $1, (${array(dealStages)}::uuid[])[k.n], 
       (${array(agentIds)}::uuid[])[1 + (abs(hashint4(i + 3)) % ${agentCount})::int],
       (abs(hashint4(i + 4)) % 1000000)::bigint,
       ${array(currencies)}[1 + (abs(hashint4(i + 5)) % ${currencies.length})::int],
       case k.n when 5 then (case when i % 3 = 0 then 'closed' else 'won' end) when 6 then 'lost' else 'open' end,
       case when k.n >= 5 then c.at + (least(k.n, 5) - 1) * interval '3 days' end,
       c.at + (least(k.n, 5) - 1) * interval '3 days',
       c.at, now()
     from generate_series(1, ${totalDeals}) i
     cross join lateral (select 1 + abs(hashint4(i + 6)) % 6 as n) k
     cross join lateral (select now() - (i % 365) * interval '1 day'
       - (i::bigint * 7919 % 86400) * interval '1 second' as at) c`,
    [dealPipeline],
  );
  await client.query(`select setval('${s}.deal_number_seq', ${totalDeals})`);
  await client.query(
    `insert into ${s}.stage_history (record_kind, record_id, pipeline_id, stage_id, entered_at, exited_at)
     select 'deal', d.id, d.pipeline_id,
       (${array(dealStages)}::uuid[])[case when k.n = 6 and m = 5 then 6 else m end],
       d.created_at + (m - 1) * interval '3 days',
       case when m < k.entries then d.created_at + m * interval '3 days' end
     from ${s}.deals d
     cross join lateral (select 1 + abs(hashint4(d.number::int + 6)) % 6 as n,
       least(1 + abs(hashint4(d.number::int + 6)) % 6, 5) as entries) k
     cross join lateral generate_series(1, k.entries) m`,
  );
  // Work: as many tasks as deals, created over the last year for the leads' owners, 3 in 4 with an
  // SLA; 1 in 5 completed (1 in 4 of those past the deadline), 1 in 5 overdue, the rest open. One
  // signal per lead for a fifth of the leads, opened over the last year, 1 in 3 resolved, 1 in 2
  // of the pending ones past their deadline.
  await client.query(
    `insert into ${s}.tasks (title, type, priority, status, assignee_agent_id, due_at, sla_seconds,
       sla_status, sla_deadline, sla_breached_at, completed_at, created_at, updated_at)
     select 'Task ' || i, (array['manual','call','follow_up','pipeline'])[1 + i % 4],
       (array['low','medium','high','urgent'])[1 + i % 4],
       case i % 5 when 0 then 'completed' when 1 then 'overdue' when 2 then 'waiting' else 'pending' end,
       (${array(agentIds)}::uuid[])[1 + (abs(hashint4(i + 7)) % ${agentCount})::int],
       c.at + interval '2 days',
       case when i % 4 <> 3 then 28800 end,
       case when i % 4 = 3 then 'not_applicable' when i % 5 = 0 then 'completed' else 'on_track' end,
       case when i % 4 <> 3 then c.at + interval '1 day' end,
       case when i % 4 <> 3 and i % 20 = 0 then c.at + interval '1 day' end,
       case when i % 5 = 0 then c.at + interval '1 day' + (i % 7 - 3) * interval '1 hour' end,
       c.at, now()
     from generate_series(1, ${totalDeals}) i
     cross join lateral (select now() - (i % 365) * interval '1 day'
       - (i::bigint * 7919 % 86400) * interval '1 second' as at) c`,
  );
  await client.query(
    `insert into ${s}.signals (type, lead_id, owner_agent_id, content, status, sla_seconds, sla_deadline,
       opened_at, last_inbound_at, resolved_at, resolution)
     select 'whatsapp', l.id, l.assigned_agent_id, 'Hello', case when l.number % 3 = 0 then 'resolved' else 'pending' end,
       3600, case when l.number % 2 = 0 then l.created_at + interval '1 hour' else now() + interval '1 day' end,
       l.created_at, l.created_at,
       case when l.number % 3 = 0 then l.created_at + interval '30 minutes' end,
       case when l.number % 3 = 0 then 'replied' end
     from ${s}.leads l where l.number % 5 = 1`,
  );
  for (const table of ['leads', 'contacts', 'deals', 'stage_history', 'tasks', 'signals']) {
    await client.query(`vacuum (analyze) ${s}.${table}`);
  }
  const counts = (
    await client.query<{ leads: string; deals: string; history: string; tasks: string; signals: string }>(
      `select (select count(*) from ${s}.leads) as leads, (select count(*) from ${s}.deals) as deals,
         (select count(*) from ${s}.stage_history) as history, (select count(*) from ${s}.tasks) as tasks,
         (select count(*) from ${s}.signals) as signals`,
    )
  ).rows[0]!;
  return { dealPipeline, leadPipeline, dealStages, leadStages, counts };
}
