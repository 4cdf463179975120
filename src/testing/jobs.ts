import type { EnqueueOptions, JobContext, JobDefinition, JobQueue } from '../queue/job-types.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';
import { toTenant } from '../tenants/tenant.repository.js';
import type { TestApp } from './test-app.js';

export interface RecordedJob {
  id: string;
  tenantId: string;
  kind: string;
  payload: unknown;
  options: EnqueueOptions;
}

export interface JobRecorder {
  /** Every job enqueued, in order (a repeated idempotency key is recorded once). */
  jobs: RecordedJob[];
  /** Jobs not yet run by `drain`. */
  pending: RecordedJob[];
  /** Runs pending jobs (and the jobs they enqueue) with the given handlers; returns each outcome. */
  drain(definitions: JobDefinition[]): Promise<{ job: RecordedJob; result?: unknown; error?: Error }[]>;
}

/**
 * Stands in for the job queue (its own branch) at the enqueue boundary: records what the
 * app enqueues, honouring idempotency keys, so tests can run the handlers for real with
 * `runJob`. Remove once the Postgres queue is merged and use it instead.
 */
export function recordJobs(t: TestApp): JobRecorder {
  const jobs: RecordedJob[] = [];
  const pending: RecordedJob[] = [];
  const byKey = new Map<string, RecordedJob>();
  const queue: JobQueue = {
    async enqueue(tenantId, kind, payload, options = {}) {
      const key = options.idempotencyKey && `${tenantId}:${options.idempotencyKey}`;
      const existing = key ? byKey.get(key) : undefined;
      if (existing) return { id: existing.id, created: false };
      const job = { id: String(jobs.length + 1), tenantId, kind, payload, options };
      jobs.push(job);
      pending.push(job);
      if (key) byKey.set(key, job);
      return { id: job.id, created: true };
    },
    async enqueueMany(requests) {
      const enqueued = [];
      for (const request of requests) {
        enqueued.push(await queue.enqueue(request.tenantId, request.kind, request.payload, request.options));
      }
      return enqueued;
    },
  };
  t.app.services.queue = queue;
  return {
    jobs,
    pending,
    async drain(definitions) {
      const outcomes: { job: RecordedJob; result?: unknown; error?: Error }[] = [];
      for (let job = pending.shift(); job; job = pending.shift()) {
        const definition = definitions.find((candidate) => candidate.kind === job!.kind);
        if (!definition) throw new Error(`No handler given for job kind ${job.kind}`);
        try {
          outcomes.push({ job, result: await runJob(t, definition, job.tenantId, job.payload) });
        } catch (error) {
          outcomes.push({ job, error: error as Error });
        }
      }
      return outcomes;
    },
  };
}

/** The tenant's handle, as jobs and routes get it. */
export async function tenantHandle(t: TestApp, tenantId: string): Promise<TenantHandle> {
  const { services } = t.app;
  const row = await services.platform
    .selectFrom('tenants')
    .selectAll()
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return services.connections.resolve(toTenant(row));
}

/** Runs a job handler once with a real JobContext built from the test app's services. */
export async function runJob<P>(
  t: TestApp,
  definition: JobDefinition<P>,
  tenantId: string,
  payload: P,
  attempt = 1,
): Promise<unknown> {
  const { services } = t.app;
  const handle = await tenantHandle(t, tenantId);
  const context: JobContext<P> = {
    job: {
      id: `test-${definition.kind}`,
      tenantId,
      kind: definition.kind,
      payload,
      attempt,
      maxAttempts: definition.maxAttempts ?? 5,
    },
    handle,
    logger: services.logger.child({ job: definition.kind }),
    signal: new AbortController().signal,
    services,
  };
  return definition.handler(context);
}
