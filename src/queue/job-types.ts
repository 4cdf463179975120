import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AppServices } from '../app/services.js';
import type { TenantHandle } from '../tenancy/connection-manager.js';

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
  enqueue(
    tenantId: string,
    kind: string,
    payload: unknown,
    options?: EnqueueOptions,
    db?: Kysely<any>,
  ): Promise<EnqueuedJob>;
  /** Adds many jobs in one statement; answers in the order given. */
  enqueueMany(jobs: EnqueueRequest[], db?: Kysely<any>): Promise<EnqueuedJob[]>;
}

export interface EnqueueRequest {
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

export interface JobContext<P = unknown> {
  job: Job<P>;
  /** The job's tenant, resolved through the connection manager. */
  handle: TenantHandle;
  logger: Logger;
  /** Aborted on timeout or shutdown. */
  signal: AbortSignal;
  services: AppServices;
}

/** What a component declares to handle one kind of job. */
export interface JobDefinition<P = any> {
  kind: string;
  handler: (ctx: JobContext<P>) => Promise<unknown>;
  /** Lease held while running, renewed by heartbeat (default 30 s). */
  leaseMs?: number;
  maxAttempts?: number;
  /** Default timeout of this kind's runs (an enqueue option overrides it). */
  timeoutMs?: number;
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
