import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ZodType } from 'zod';
import type { TenantHandle } from '../tenancy/connection-manager.js';

/**
 * Every job kind and its payload type. Empty here: each component adds its kinds from its
 * contract file (`<component>.jobs.ts`) by declaration merging, so the queue knows every kind's
 * payload without importing a component:
 *
 *     declare module '../queue/job-types.js' {
 *       interface JobPayloads { 'email.send': z.infer<typeof sendEmailPayload> }
 *     }
 */
// Empty on purpose: declaration merging needs an interface, and the components fill it.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface JobPayloads {}

export type JobKind = keyof JobPayloads & string;

export interface EnqueueOptions {
  /** When the job becomes runnable (default now). */
  runAt?: Date;
  /** Higher runs first among a tenant's ready jobs (default 0). */
  priority?: number;
  /** A repeated key for the same tenant returns the existing job instead of adding one. */
  idempotencyKey?: string;
  maxAttempts?: number;
  timeoutMs?: number;
}

export interface EnqueuedJob {
  id: string;
  /** false when the idempotency key matched an existing job. */
  created: boolean;
}

export interface JobQueue {
  /**
   * Adds a job for a tenant. Pass `db` (a transaction on the default server) to enqueue in
   * the same transaction as the data change that causes the job.
   */
  enqueue<K extends JobKind>(
    tenantId: string,
    kind: K,
    payload: JobPayloads[K],
    options?: EnqueueOptions,
    db?: Kysely<any>,
  ): Promise<EnqueuedJob>;
  /** Adds many jobs in one statement; answers in the order given. */
  enqueueMany(jobs: EnqueueRequest[], db?: Kysely<any>): Promise<EnqueuedJob[]>;
}

/** A job to add, of any kind; its payload typed by its kind. */
export type EnqueueRequest = {
  [K in JobKind]: { tenantId: string; kind: K; payload: JobPayloads[K]; options?: EnqueueOptions };
}[JobKind];

/**
 * One request of kind `K`. Where the kind is a type parameter TypeScript cannot narrow the union
 * above, so generic code builds its requests here: the kind and its payload still agree.
 */
export function jobRequest<K extends JobKind>(
  tenantId: string,
  kind: K,
  payload: JobPayloads[K],
  options?: EnqueueOptions,
): EnqueueRequest {
  return { tenantId, kind, payload, options } as EnqueueRequest;
}

/** A job as the queue stores it, whatever its kind (what the typed requests reduce to). */
export interface StoredEnqueueRequest {
  tenantId: string;
  kind: string;
  payload: unknown;
  options?: EnqueueOptions;
}

export interface Job<P = unknown> {
  id: string;
  tenantId: string;
  kind: string;
  payload: P;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
}

/**
 * What a handler gets for one run. `services` is typed as the dependencies the handler names
 * (`D`, e.g. `Pick<AppServices, 'secrets' | 'realtime'>`), not the whole services object: the
 * component's `jobs` list is checked against the services the worker has.
 */
export interface JobContext<P = unknown, D = unknown> {
  job: Job<P>;
  /** The job's tenant, resolved through the connection manager. */
  handle: TenantHandle;
  logger: Logger;
  /** Aborted on timeout or shutdown. */
  signal: AbortSignal;
  services: D;
}

/**
 * What `onDead` gets for a job that went dead: a handler's context without the signal (nothing
 * runs any more), with the job's last error.
 */
export interface DeadJobContext<P = unknown, D = unknown> extends Omit<JobContext<P, D>, 'signal'> {
  error: string;
}

/**
 * One job kind's contract, as a component's `<component>.jobs.ts` declares it: the kind, the
 * schema its payload must parse with (checked when the worker claims the job: a payload that does
 * not parse goes to the dead letters, never into the handler) and the handler.
 */
export interface JobDefinition<P = any, D = any> {
  kind: string;
  payload: ZodType<P>;
  handler: (ctx: JobContext<P, D>) => Promise<unknown>;
  /**
   * Leaves the job's records final once it is dead: called after its last attempt threw and
   * after the lease sweep found its last attempt's worker gone (there the handler never got to
   * finish them). Must be idempotent (the handler may have finished them already); a failure is
   * logged, never thrown. Not called for a payload that does not parse.
   */
  onDead?: (ctx: DeadJobContext<P, D>) => Promise<void>;
  /**
   * Most jobs of this kind running at once for one tenant, across all workers and processes
   * (e.g. 1: a tenant's second import waits for its first). Jobs over it stay queued (no attempt
   * counted) and are claimed when one of the tenant's running jobs of the kind ends; other kinds
   * and other tenants are not held back. Unset: no cap of its own (`JOB_TENANT_CONCURRENCY`
   * still counts it).
   */
  tenantConcurrency?: number;
  /** Lease held while running, renewed by heartbeat (default 30 s). */
  leaseMs?: number;
  maxAttempts?: number;
  /** Default timeout of this kind's runs (an enqueue option overrides it). */
  timeoutMs?: number;
}

/** A job contract whose kind is registered in `JobPayloads` with the payload its schema gives. */
export function defineJob<K extends JobKind, D>(
  definition: JobDefinition<JobPayloads[K], D> & { kind: K },
): JobDefinition<JobPayloads[K], D> {
  return definition;
}

/** Thrown by a handler when retrying cannot help (bad payload, provider says never). */
export class PermanentJobError extends Error {
  constructor(
    message: string,
    readonly code = 'permanent_failure',
  ) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

/** Thrown by a handler to be retried after a specific delay (e.g. a provider's Retry-After). */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}
