import { sql, type SqlBool } from 'kysely';
import type { Visibility } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { leadIdVisibleTo, leadVisibleTo } from '../leads/index.js';
import { queueEntryStatuses } from '../dialer/index.js';
import type { StatsPeriod } from './call-stats.schemas.js';

/**
 * Call statistics (issue 21), read from the call log: every figure counts ended calls
 * (`ended_at` set) queued in the period [from, to). Open calls count nowhere.
 */

/** A call connected the salesperson with the lead: bridged to them, or a click-to-call the lead answered. */
const connectedCall = sql<SqlBool>`(calls.bridged_at is not null or (calls.mode = 'click_to_call' and calls.outcome = 'answered'))`;
/** Answered by a person: outcome answered and no machine (or fax) detected. */
const answeredCall = sql<SqlBool>`(calls.outcome = 'answered' and (calls.answered_by is null or (calls.answered_by not like 'machine%' and calls.answered_by <> 'fax')))`;

const ratio = (numerator: number, denominator: number) =>
  denominator === 0 ? null : numerator / denominator;

function endedCallsIn(db: TenantDb, period: StatsPeriod, campaign: string | undefined) {
  let query = db
    .selectFrom('calls')
    .where('calls.ended_at', 'is not', null)
    .where('calls.queued_at', '>=', period.from)
    .where('calls.queued_at', '<', period.to);
  if (campaign !== undefined) query = query.where('calls.campaign', '=', campaign);
  return query;
}

function agentFigures(calls: number, connected: number, talkSeconds: number) {
  return {
    calls,
    connected,
    connectRate: ratio(connected, calls),
    talkSeconds,
    averageTalkSeconds: ratio(talkSeconds, connected),
  };
}

/**
 * Per salesperson (agent_id) with an ended call in the period: calls, connected, connect rate,
 * talk time of the connected calls. Rows of the agents `visibility` reaches; totals over the rows.
 */
export async function agentCallStats(
  db: TenantDb,
  visibility: Visibility,
  period: StatsPeriod,
  filters: { agentId?: string | undefined; campaign?: string | undefined },
) {
  let query = endedCallsIn(db, period, filters.campaign)
    .innerJoin('agents', 'agents.id', 'calls.agent_id')
    .select(['agents.id', 'agents.name'])
    .select([
      sql<string>`count(*)`.as('calls'),
      sql<string>`count(*) filter (where ${connectedCall})`.as('connected'),
      sql<string>`coalesce(sum(calls.talk_seconds) filter (where ${connectedCall}), 0)`.as('talk_seconds'),
    ])
    .where(leadVisibleTo(visibility, 'calls.agent_id'))
    .groupBy(['agents.id', 'agents.name'])
    .orderBy('agents.name')
    .orderBy('agents.id');
  if (filters.agentId) query = query.where('calls.agent_id', '=', filters.agentId);
  const rows = (await query.execute()).map((row) => ({
    agent: { id: row.id, name: row.name },
    calls: Number(row.calls),
    connected: Number(row.connected),
    talkSeconds: Number(row.talk_seconds),
  }));
  const sum = (key: 'calls' | 'connected' | 'talkSeconds') =>
    rows.reduce((total, row) => total + row[key], 0);
  return {
    period,
    agents: rows.map((row) => ({
      agent: row.agent,
      ...agentFigures(row.calls, row.connected, row.talkSeconds),
    })),
    totals: agentFigures(sum('calls'), sum('connected'), sum('talkSeconds')),
  };
}

type QueueCounts = Record<(typeof queueEntryStatuses)[number], number>;
const noQueue = (): QueueCounts =>
  Object.fromEntries(queueEntryStatuses.map((status) => [status, 0])) as QueueCounts;

interface CampaignCounts {
  calls: number;
  answered: number;
  abandoned: number;
  queue: QueueCounts;
}

function campaignFigures({ calls, answered, abandoned, queue }: CampaignCounts) {
  const connected = answered - abandoned;
  return {
    calls,
    answered,
    abandoned,
    abandonRate: ratio(abandoned, answered),
    connected,
    attemptsPerConnect: ratio(calls, connected),
    queue,
  };
}

/**
 * Per campaign (null: manual calls) of the calls on leads `visibility` sees: calls, answered,
 * abandoned (answered, no salesperson took it), connected, the rates; and the campaign's queue
 * entries by status now. Campaigns listed: those with an ended call in the period, and those with
 * an entry waiting or dialing now. Totals over the rows.
 */
export async function campaignCallStats(
  db: TenantDb,
  visibility: Visibility,
  period: StatsPeriod,
  filters: { campaign?: string | undefined },
) {
  const callRows = await endedCallsIn(db, period, filters.campaign)
    .select('calls.campaign')
    .select([
      sql<string>`count(*)`.as('calls'),
      sql<string>`count(*) filter (where ${answeredCall})`.as('answered'),
      sql<string>`count(*) filter (where ${answeredCall} and calls.abandoned)`.as('abandoned'),
    ])
    .where(leadIdVisibleTo(visibility, 'calls.lead_id'))
    .groupBy('calls.campaign')
    .execute();
  let queueQuery = db
    .selectFrom('call_queue')
    .select(['call_queue.campaign', 'call_queue.status', sql<string>`count(*)`.as('entries')])
    .where(leadIdVisibleTo(visibility, 'call_queue.lead_id'))
    .groupBy(['call_queue.campaign', 'call_queue.status']);
  if (filters.campaign !== undefined)
    queueQuery = queueQuery.where('call_queue.campaign', '=', filters.campaign);
  const queueRows = await queueQuery.execute();

  const campaigns = new Map<string | null, CampaignCounts>();
  const entry = (campaign: string | null) => {
    const counts = campaigns.get(campaign) ?? { calls: 0, answered: 0, abandoned: 0, queue: noQueue() };
    campaigns.set(campaign, counts);
    return counts;
  };
  for (const row of callRows) {
    Object.assign(entry(row.campaign), {
      calls: Number(row.calls),
      answered: Number(row.answered),
      abandoned: Number(row.abandoned),
    });
  }
  const live = new Set(
    queueRows.filter((row) => ['waiting', 'dialing'].includes(row.status)).map((row) => row.campaign),
  );
  for (const row of queueRows) {
    if (campaigns.has(row.campaign) || live.has(row.campaign))
      entry(row.campaign).queue[row.status] = Number(row.entries);
  }

  const listed = [...campaigns.entries()].sort(([a], [b]) =>
    a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0,
  );
  const totals: CampaignCounts = { calls: 0, answered: 0, abandoned: 0, queue: noQueue() };
  for (const [, counts] of listed) {
    totals.calls += counts.calls;
    totals.answered += counts.answered;
    totals.abandoned += counts.abandoned;
    for (const status of queueEntryStatuses) totals.queue[status] += counts.queue[status];
  }
  return {
    period,
    campaigns: listed.map(([campaign, counts]) => ({ campaign, ...campaignFigures(counts) })),
    totals: campaignFigures(totals),
  };
}
