import { z } from 'zod';
import type { AppServices } from '../../app/services.js';
import type { ApiRouter } from '../../http/api-router.js';
import { orNotFound } from '../../http/or-not-found.js';
import { pageQuery, pageSchema } from '../../http/pagination.js';
import { piiPhone } from '../../http/pii.js';
import { callerOf } from '../../http/request-context.js';
import { findJobs, type JobRow } from '../../queue/jobs.repository.js';
import { jobStatuses } from '../../queue/queue.tables.js';
import { findRunWithEvent, listRuns, toRunSummary } from './run.repository.js';
import { triggers } from '../rules/triggers.js';

const tag = 'Automation runs';

const runSchema = z.object({
  id: z.uuid(),
  eventId: z.uuid(),
  ruleId: z.uuid().nullable(),
  ruleName: z.string(),
  trigger: z.string(),
  depth: z.number().int(),
  leadId: z.uuid().nullable(),
  status: z.enum(['running', 'succeeded', 'failed', 'waiting']),
  actions: z.array(z.record(z.string(), z.unknown())),
  jobIds: z.array(z.string()).meta({ description: 'Queue jobs of the external actions' }),
  cascadeCut: z.array(z.record(z.string(), z.unknown())),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const jobOutcomeSchema = z.object({
  id: z.string(),
  kind: z.string().nullable(),
  status: z.enum([...jobStatuses, 'pruned']).meta({
    description: 'The job now; `pruned` once a finished job is past the retention period',
  }),
  attempts: z.number().int().nullable(),
  maxAttempts: z.number().int().nullable(),
  lastError: z.string().nullable(),
  errorCode: z.string().nullable(),
  runAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  result: z.unknown(),
});
type JobOutcome = z.infer<typeof jobOutcomeSchema>;

/** Where each of the run's jobs stands now, read from the queue (the run stores their ids). */
function jobOutcome(id: string, row: JobRow | undefined): JobOutcome {
  if (!row) {
    return {
      id,
      kind: null,
      status: 'pruned',
      attempts: null,
      maxAttempts: null,
      lastError: null,
      errorCode: null,
      runAt: null,
      finishedAt: null,
      result: null,
    };
  }
  return {
    id,
    kind: row.kind,
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: row.last_error,
    errorCode: row.errors.at(-1)?.code ?? null,
    runAt: row.run_at,
    finishedAt: row.finished_at,
    result: row.result ?? null,
  };
}

export function registerRunRoutes(router: ApiRouter, services: AppServices): void {
  router
    .route({
      method: 'get',
      permission: 'automations.manage',
      path: '/runs',
      tag,
      summary: 'Rule runs, newest first (filter by rule, trigger, status; cursor pagination)',
      query: z.object({
        ruleId: z.uuid().optional(),
        trigger: z.enum(triggers).optional(),
        status: z.enum(['running', 'succeeded', 'failed', 'waiting']).optional(),
        ...pageQuery,
      }),
      response: pageSchema(runSchema),
      handler: ({ req, query }) => listRuns(callerOf(req).handle.db, query),
    })
    .route({
      method: 'get',
      permission: 'automations.manage',
      path: '/runs/:id',
      tag,
      summary: "One run: its event, rule, action outcomes and its jobs' current state",
      params: z.object({ id: z.uuid() }),
      response: runSchema.extend({
        event: z.object({
          id: z.uuid(),
          trigger: z.string(),
          source: z.string(),
          clientEventId: z.string().nullable(),
          phone: piiPhone().nullable(),
          leadId: z.uuid().nullable(),
          variables: z.record(z.string(), z.unknown()),
          createdAt: z.date(),
        }),
        jobs: z.array(jobOutcomeSchema),
      }),
      errors: { 404: 'No such run' },
      handler: async ({ req, params }) => {
        const { handle } = callerOf(req);
        const found = orNotFound(await findRunWithEvent(handle.db, params.id), 'Automation run', {
          id: params.id,
        });
        const { run, event } = found;
        const rows = await findJobs(services.platform, handle.tenant.id, run.job_ids.map(Number));
        const byId = new Map(rows.map((row) => [String(row.id), row]));
        const jobs = run.job_ids.map((id) => jobOutcome(id, byId.get(id)));
        const summary = toRunSummary(run);
        return {
          ...summary,
          // Each action's job as it stands now, beside the outcome recorded when it was queued.
          actions: summary.actions.map((action) =>
            action.jobId ? { ...action, job: jobs.find((job) => job.id === action.jobId) } : action,
          ),
          jobs,
          event: {
            id: event.id,
            trigger: event.trigger,
            source: event.source,
            clientEventId: event.event_key?.startsWith('api:') ? event.event_key.slice(4) : null,
            phone: event.phone,
            leadId: event.lead_id,
            variables: event.variables,
            createdAt: event.created_at,
          },
        };
      },
    });
}
