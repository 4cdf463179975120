import type { AppServices } from '../app/services.js';
import type { ApiRouter } from '../http/api-router.js';
import { callerOf } from '../http/request-context.js';
import { agentCallStats, campaignCallStats } from './call-stats.js';
import {
  agentStatsQuery,
  agentStatsSchema,
  campaignStatsQuery,
  campaignStatsSchema,
  resolveStatsPeriod,
} from './call-stats.schemas.js';

const tag = 'Calls';

export function registerCallStatsRoutes(router: ApiRouter, _services: AppServices): void {
  router
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/call-stats/agents',
      tag,
      summary: 'Per salesperson: calls, connected, connect rate and talk time, for calls queued in a period',
      description:
        'Ended calls queued in [from, to) (default: the last 30 days). Rows of the salespeople the caller sees, with a call in the period; `totals` sums the rows.',
      query: agentStatsQuery,
      response: agentStatsSchema,
      handler: ({ req, query }) => {
        const { handle, access } = callerOf(req);
        return agentCallStats(
          handle.db,
          access.visibility('leads.read'),
          resolveStatsPeriod(query, new Date()),
          query,
        );
      },
    })
    .route({
      method: 'get',
      permission: 'leads.read',
      path: '/call-stats/campaigns',
      tag,
      summary: 'Per campaign: calls, answered, abandoned %, connected, attempts per connect, and its queue',
      description:
        'Ended calls queued in [from, to) (default: the last 30 days) on leads the caller sees; `campaign: null` is manual calls. `queue` counts the entries now, whatever the period.',
      query: campaignStatsQuery,
      response: campaignStatsSchema,
      handler: ({ req, query }) => {
        const { handle, access } = callerOf(req);
        return campaignCallStats(
          handle.db,
          access.visibility('leads.read'),
          resolveStatsPeriod(query, new Date()),
          query,
        );
      },
    });
}
