import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AppServices } from '../app/services.js';
import type { QueueConfig } from '../config/config.js';
import type { JobContext, JobDefinition } from './job-types.js';
import { PermanentJobError } from './job-types.js';
import { runOnDead } from './dead-jobs.js';
import { jobsChannel } from './postgres-job-queue.js';
import { defaultRetryPolicy, failureOutcome, JobTimeoutError, type RetryPolicy } from './retry-policy.js';
import {
  claimJobs,
  completeJobs,
  notifyWorkers,
  reclaimExpiredLeases,
  releaseJobs,
  renewLeases,
  type ClaimedJob,
  type Completion,
  type DeadJob,
  type WrittenOutcome,
} from './worker.repository.js';

export interface WorkerOptions extends Omit<QueueConfig, 'retentionDays'> {
  /** How long stop() lets running jobs finish before releasing them. */
  shutdownGraceMs: number;
  retryPolicy?: RetryPolicy;
}

interface RunningJob {
  job: ClaimedJob;
  leaseMs: number;
  controller: AbortController;
  /** Set when the job is no longer ours (lease lost, released at shutdown): its outcome is dropped. */
  abandoned: boolean;
}

/** A kind this worker runs: its handler gets this process's services. */
type ServedJob = JobDefinition<any, AppServices>;

const maxCompletionBatch = 2000;
const maxBackoffMs = 10_000;
/** At stop, how long aborted handlers get to notice their signal before their jobs are released. */
const abortSettleMs = 1000;

/**
 * Runs jobs from the queue: claims in batches (woken by NOTIFY, polling as a fallback),
 * holds a lease renewed by heartbeat, writes outcomes in batches, and keeps going through
 * database outages with backoff. Which handler runs a kind: the contract of the component
 * that owns it, `src/<component>/<component>.jobs.ts` (kind `imports.run` → `imports.jobs.ts`),
 * whose list the component's `jobs` hands to this worker.
 */
export class JobWorker {
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly definitions: Map<string, ServedJob>;
  private readonly leaseMsByKind: Map<string, number>;
  /** Kinds capped per tenant (`tenantConcurrency`): their most running jobs per tenant. */
  private readonly tenantConcurrencyByKind: Map<string, number>;
  private readonly retryPolicy: RetryPolicy;
  private readonly logger: Logger;
  private readonly running = new Map<number, RunningJob>();
  /** Claimed jobs waiting for a slot, oldest claim first. */
  private waiting: ClaimedJob[] = [];
  private readonly capacity: number;
  private readonly runs = new Set<Promise<void>>();
  private pending: Completion[] = [];
  /** Jobs whose last attempt failed here, by id, until their `dead` outcome is written. */
  private readonly dying = new Map<number, ClaimedJob>();
  /** `onDead` calls under way (stop waits for them). */
  private readonly deadCalls = new Set<Promise<void>>();
  private flushing: Promise<void> | null = null;
  private flushScheduled = false;
  private claiming: Promise<void> | null = null;
  private claimAgain = false;
  /** The last claim filled every free slot, so more jobs may be waiting. */
  private mayHaveMore = false;
  private claimFailures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private stopped = false;

  constructor(
    private readonly services: AppServices,
    definitions: ServedJob[],
    private readonly options: WorkerOptions,
  ) {
    this.definitions = new Map(definitions.map((definition) => [definition.kind, definition]));
    this.leaseMsByKind = new Map(
      definitions.flatMap((d) => (d.leaseMs === undefined ? [] : [[d.kind, d.leaseMs] as const])),
    );
    this.tenantConcurrencyByKind = new Map(
      definitions.flatMap((d) => {
        if (d.tenantConcurrency === undefined) return [];
        if (!Number.isInteger(d.tenantConcurrency) || d.tenantConcurrency < 1) {
          throw new Error(`Job kind '${d.kind}': tenantConcurrency must be a whole number of at least 1`);
        }
        return [[d.kind, d.tenantConcurrency] as const];
      }),
    );
    this.retryPolicy = options.retryPolicy ?? defaultRetryPolicy;
    this.capacity = options.concurrency + options.prefetch;
    this.logger = services.logger.child({ worker: this.id });
  }

  private get db() {
    return this.services.servers.defaultServer.db;
  }

  async start(): Promise<void> {
    // An empty payload also arrives after the LISTEN connection came back: look for missed work.
    // Any notification means the database answers again, so a claim backoff ends early.
    this.unlisten = await this.services.servers.defaultServer.listen(jobsChannel, () => {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.wake();
    });
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollMs);
    const shortestLease = Math.min(this.options.leaseMs, ...this.leaseMsByKind.values());
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(50, shortestLease / 3));
    this.logger.info({ kinds: [...this.definitions.keys()], ...this.options }, 'job worker started');
    this.wake();
  }

  /** Stops claiming, lets running jobs finish within the grace period, and releases the rest. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.retryTimer);
    await this.unlisten?.().catch(() => undefined);
    await this.claiming;
    const unstarted = this.waiting;
    this.waiting = [];
    await this.release(unstarted.map((job) => job.id));
    await Promise.race([Promise.allSettled([...this.runs]), sleep(this.options.shutdownGraceMs)]);
    const unfinished = [...this.running.values()];
    for (const entry of unfinished) {
      entry.abandoned = true;
      entry.controller.abort(new Error('worker shutting down'));
    }
    // A moment for aborted handlers to reach their next signal check and stop writing; then they
    // go back to the queue at once, not after their lease (the process exits right after this).
    const settle = Math.min(abortSettleMs, this.options.shutdownGraceMs);
    await Promise.race([Promise.allSettled([...this.runs]), sleep(settle)]);
    await Promise.all([
      this.release(unfinished.map((entry) => entry.job.id)),
      Promise.race([this.flush(), sleep(this.options.shutdownGraceMs)]),
    ]);
    await Promise.race([Promise.allSettled([...this.deadCalls]), sleep(this.options.shutdownGraceMs)]);
    this.logger.info('job worker stopped');
  }

  private async release(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    const released = await releaseJobs(this.db, this.id, ids).catch((error: unknown) => {
      this.logger.warn({ err: error, ids }, 'could not release jobs; their leases will expire');
      return 0;
    });
    this.logger.info({ released }, 'released unfinished jobs');
  }

  /** Asks for a claim soon; claims never overlap, a request during one runs another after it. */
  wake(): void {
    if (this.stopped || this.retryTimer) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.claimLoop().finally(() => {
      this.claiming = null;
      if (this.claimAgain) {
        this.claimAgain = false;
        this.wake();
      }
    });
  }

  /** Room for more claimed jobs: free slots plus the prefetch buffer's free places. */
  private get room(): number {
    return this.capacity - this.running.size - this.waiting.length;
  }

  /**
   * With a backlog, claim again once half the room is free: one claim per job finished would
   * shrink every claim to a job or two.
   */
  private get roomForBatch(): boolean {
    return this.room >= Math.ceil(this.capacity / 2);
  }

  private async claimLoop(): Promise<void> {
    try {
      for (let room = this.room; room > 0 && !this.stopped; room = this.room) {
        // At most a slot's worth per claim: the first batch starts while the next is claimed.
        const limit = Math.min(room, this.options.concurrency);
        const jobs = await claimJobs(this.db, {
          workerId: this.id,
          limit,
          tenantConcurrency: this.options.tenantConcurrency,
          defaultLeaseMs: this.options.leaseMs,
          leaseMsByKind: this.leaseMsByKind,
          tenantConcurrencyByKind: this.tenantConcurrencyByKind,
        });
        this.claimFailures = 0;
        this.addWaiting(jobs);
        this.mayHaveMore = jobs.length === limit;
        if (!this.mayHaveMore || !this.roomForBatch) {
          this.fillSlots();
          return;
        }
        // A backlog: the next claim (the loop's next turn) is sent first, and this batch starts
        // on the next turn of the event loop, so the database claims while this process runs.
        setImmediate(() => this.fillSlots());
      }
    } catch (error) {
      this.claimFailures++;
      const delay = Math.min(maxBackoffMs, 100 * 2 ** this.claimFailures);
      this.logger.warn({ err: error, retryInMs: delay }, 'claiming jobs failed; backing off');
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.wake();
      }, delay);
    }
  }

  private async poll(): Promise<void> {
    if (this.retryTimer) return;
    try {
      const { reclaimed, dead } = await reclaimExpiredLeases(this.db);
      if (reclaimed > 0) this.logger.warn({ reclaimed }, 'reclaimed jobs whose lease expired');
      // Their worker is gone: nothing else will finish their records.
      for (const job of dead) this.settleDead(job);
    } catch (error) {
      this.logger.warn({ err: error }, 'sweeping expired leases failed');
    }
    this.wake();
  }

  private async heartbeat(): Promise<void> {
    const entries = [...this.running.values()].filter((entry) => !entry.abandoned);
    const waiting = [...this.waiting];
    if (entries.length === 0 && waiting.length === 0) return;
    try {
      const held = await renewLeases(this.db, this.id, [
        ...entries.map((entry) => ({ id: entry.job.id, leaseMs: entry.leaseMs })),
        ...waiting.map((job) => ({ id: job.id, leaseMs: this.leaseMsOf(job) })),
      ]);
      for (const entry of entries) {
        if (held.has(entry.job.id) || !this.running.has(entry.job.id)) continue;
        entry.abandoned = true;
        entry.controller.abort(new Error('lease lost'));
        this.logger.warn({ jobId: entry.job.id }, 'lease lost; the job will run elsewhere');
      }
      const lost = new Set(waiting.filter((job) => !held.has(job.id)));
      if (lost.size > 0) {
        this.waiting = this.waiting.filter((job) => !lost.has(job));
        this.logger.warn({ jobIds: [...lost].map((job) => job.id) }, 'lease lost before the job started');
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'renewing leases failed');
    }
  }

  private leaseMsOf(job: ClaimedJob): number {
    return this.leaseMsByKind.get(job.kind) ?? this.options.leaseMs;
  }

  /**
   * Queues claimed jobs for a slot. A tenant with nothing waiting gets its first job in ahead of
   * the others: a job arriving for a quiet tenant does not wait behind another's claimed backlog.
   */
  private addWaiting(jobs: ClaimedJob[]): void {
    const waitingTenants = new Set(this.waiting.map((job) => job.tenant.id));
    const ahead: ClaimedJob[] = [];
    const behind: ClaimedJob[] = [];
    for (const job of jobs) {
      if (waitingTenants.has(job.tenant.id)) behind.push(job);
      else {
        waitingTenants.add(job.tenant.id);
        ahead.push(job);
      }
    }
    this.waiting = [...ahead, ...this.waiting, ...behind];
  }

  /** Moves waiting jobs into free slots. */
  private fillSlots(): void {
    if (this.stopped) return;
    const free = this.options.concurrency - this.running.size;
    if (free <= 0 || this.waiting.length === 0) return;
    for (const job of this.waiting.splice(0, free)) this.startRun(job);
  }

  private startRun(job: ClaimedJob): void {
    const entry: RunningJob = {
      job,
      leaseMs: this.leaseMsOf(job),
      controller: new AbortController(),
      abandoned: false,
    };
    this.running.set(job.id, entry);
    const run = this.run(entry).finally(() => {
      this.running.delete(job.id);
      this.runs.delete(run);
      this.fillSlots();
      if (this.mayHaveMore && this.roomForBatch) this.wake();
    });
    this.runs.add(run);
  }

  private async run(entry: RunningJob): Promise<void> {
    const { job, controller } = entry;
    const definition = this.definitions.get(job.kind);
    // A child logger costs more than a no-op job (bindings are serialized and redacted): made on first use.
    let logger: Logger | undefined;
    const jobLogger = () =>
      (logger ??= this.logger.child({
        jobId: String(job.id),
        kind: job.kind,
        tenant: job.tenant.clientCode,
      }));
    const identity = { id: job.id, attempt: job.attempt, tenantId: job.tenant.id, kind: job.kind };
    let completion: Completion;
    try {
      if (!definition) {
        throw new PermanentJobError(`No handler is registered for job kind '${job.kind}'`, 'unknown_kind');
      }
      const payload = parsePayload(definition, job.payload);
      const timeoutMs = job.timeoutMs ?? definition.timeoutMs ?? this.options.timeoutMs;
      const handle = await this.services.connections.resolve(job.tenant);
      const context: JobContext<unknown, AppServices> = {
        job: {
          id: String(job.id),
          tenantId: job.tenant.id,
          kind: job.kind,
          payload,
          attempt: job.attempt,
          maxAttempts: job.maxAttempts,
        },
        handle,
        get logger() {
          return jobLogger();
        },
        signal: controller.signal,
        services: this.services,
      };
      const result = await withTimeout(definition.handler(context), timeoutMs, controller);
      completion = { ...identity, status: 'succeeded', result };
    } catch (error) {
      const outcome = failureOutcome(error, job.attempt, job.maxAttempts, this.retryPolicy);
      completion = { ...identity, ...outcome };
      if (outcome.status === 'dead' && !entry.abandoned) this.dying.set(job.id, job);
      if (!entry.abandoned) {
        const level = outcome.status === 'dead' ? 'error' : 'warn';
        jobLogger()[level]({ err: error, attempt: job.attempt, outcome: outcome.status }, 'job failed');
      }
    }
    if (entry.abandoned) return;
    this.pending.push(completion);
    // Runs that end in the same turn of the event loop are written together.
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        void this.flush();
      });
    }
  }

  /** Writes pending outcomes, many per statement; one flush at a time, retried through outages. */
  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      let failures = 0;
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, maxCompletionBatch);
        try {
          const written = await completeJobs(this.db, this.id, batch);
          failures = 0;
          this.announce(written);
          this.settleWrittenDeaths(batch, written);
          this.wakeForCappedKinds(written);
        } catch (error) {
          this.pending.unshift(...batch);
          failures++;
          const delay = Math.min(maxBackoffMs, 100 * 2 ** failures);
          this.logger.warn({ err: error, retryInMs: delay }, 'recording job outcomes failed; retrying');
          await sleep(delay);
        }
      }
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  /**
   * A capped kind's run ended (succeeded, failed or dead): the tenant's next job of that kind,
   * left queued by the cap, may be claimed now. This worker claims again, and a NOTIFY wakes the
   * others (this one may be full or stopping); uncapped kinds need neither.
   */
  private wakeForCappedKinds(written: WrittenOutcome[]): void {
    if (!written.some(({ completion }) => this.tenantConcurrencyByKind.has(completion.kind))) return;
    this.wake();
    notifyWorkers(this.db, jobsChannel).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'waking the other workers failed; they will poll');
    });
  }

  /** Dead outcomes this worker wrote get their kind's `onDead`; fenced-out ones belong to another run. */
  private settleWrittenDeaths(batch: Completion[], written: WrittenOutcome[]): void {
    for (const { completion: c } of written) {
      const job = this.dying.get(c.id);
      if (c.status === 'dead' && job) this.settleDead({ ...job, error: c.error });
    }
    for (const c of batch) this.dying.delete(c.id);
  }

  private settleDead(job: DeadJob): void {
    const call = runOnDead(this.services, this.definitions.get(job.kind), job, this.logger).finally(() =>
      this.deadCalls.delete(call),
    );
    this.deadCalls.add(call);
  }

  private announce(written: WrittenOutcome[]): void {
    for (const { completion: c, retryAt } of written) {
      const base = { id: String(c.id), kind: c.kind, status: c.status, attempts: c.attempt };
      if (c.status === 'succeeded') {
        this.services.realtime.emitToTenant(c.tenantId, 'job.finished', base);
      } else {
        this.services.realtime.emitToTenant(c.tenantId, 'job.failed', { ...base, error: c.error, retryAt });
      }
    }
  }
}

/** The payload as the kind's schema reads it; one that does not parse can never succeed. */
function parsePayload(definition: JobDefinition, payload: unknown): unknown {
  const parsed = definition.payload.safeParse(payload);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`,
  );
  throw new PermanentJobError(
    `Invalid payload for job kind '${definition.kind}': ${issues.join('; ')}`,
    'invalid_payload',
  );
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number, controller: AbortController): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new JobTimeoutError(timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
    work.then(
      (result) => {
        clearTimeout(timer);
        resolve(result);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
