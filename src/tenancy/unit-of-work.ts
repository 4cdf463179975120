import type { ControlledTransaction, Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DatabaseServer } from '../db/database-server.js';
import { retryOnDeadlock } from '../db/retry-on-deadlock.js';
import type { TenantDb } from '../db/tenant-database.js';
import type { EnqueuedJob, EnqueueRequest, JobQueue } from '../queue/job-types.js';
import type { TenantHandle } from './connection-manager.js';

/** Where a unit's recorded events go once it has committed (the lead-event bus). */
export interface EventPublisher<E> {
  publish(events: E[]): void;
}

/** What a unit of work may use; `AppServices` has all of it. */
export interface UnitOfWorkDeps<E> {
  /** Needed by a unit that records events. */
  leadEvents?: EventPublisher<E>;
  /** Needed by a unit that enqueues jobs: the queue and the server it lives on. */
  queue?: Pick<JobQueue, 'enqueueMany'>;
  servers?: { readonly defaultServer: DatabaseServer };
  /** Where an after-commit effect that throws is reported. */
  logger?: Pick<Logger, 'warn'>;
}

/** What the work of a unit gets: its transaction, and what happens because of it. */
export interface TenantUnitOfWork<E> {
  readonly trx: TenantDb;
  /** Adds jobs that exist exactly when this unit commits (see `inTenantTransaction`). */
  enqueue(...jobs: EnqueueRequest[]): Promise<EnqueuedJob[]>;
  /** Records events to publish once, after the commit. */
  publish(...events: E[]): void;
  /**
   * Runs `effect` once after the commit (never for an attempt that failed), e.g. a realtime emit
   * of what the unit changed; an effect that throws is logged (`deps.logger`), not rethrown.
   */
  afterCommit(effect: () => void): void;
}

/** A unit of work as code reached only through its transaction sees it (`unitOfTransaction`). */
export interface OpenUnit {
  unit: TenantUnitOfWork<any>;
  handle: TenantHandle;
  /** What the unit was opened with (usually every service). */
  deps: UnitOfWorkDeps<any>;
}

const openUnits = new WeakMap<TenantDb, OpenUnit>();

/**
 * The unit of work whose transaction `trx` is (undefined outside one): for code that is handed a
 * transaction only and must still enqueue or act after the commit (record hooks, see `record-hooks.ts`).
 */
export function unitOfTransaction(trx: TenantDb): OpenUnit | undefined {
  return openUnits.get(trx);
}

export interface UnitOfWorkOptions {
  /** Runs of the whole unit when Postgres aborts it on a deadlock or serialization conflict (default 3). */
  attempts?: number;
}

/**
 * The one way to change a tenant's data together with what follows from it. Runs `work` in a
 * transaction on the tenant's server, again from the start if Postgres aborts it to resolve a
 * deadlock or serialization conflict (so `work` must keep its state inside the call). Jobs it
 * enqueues exist exactly when its data does: on the services' server they go in the same
 * transaction; a tenant on a dedicated server cannot share one with the queue, so they go in
 * a transaction on the services' server that commits right after the tenant's and is rolled
 * back with it (jobs never point at rolled-back rows, and the caller still gets their ids).
 * Recorded events are published after the commit, once, never for an attempt that failed.
 * `work` touches only the tenant's data through `trx`: a dedicated tenant's unit holds a
 * services connection from its first enqueue (PGlite has only one) until it commits.
 */
export async function inTenantTransaction<T, E = never>(
  deps: UnitOfWorkDeps<E>,
  handle: TenantHandle,
  work: (unit: TenantUnitOfWork<E>) => Promise<T>,
  options: UnitOfWorkOptions = {},
): Promise<T> {
  const { result, events, jobs, effects } = await retryOnDeadlock(async () => {
    const events: E[] = [];
    const effects: (() => void)[] = [];
    const jobs = new UnitJobs(deps, handle);
    try {
      const result = await handle.db.transaction().execute((trx) => {
        const unit: TenantUnitOfWork<E> = {
          trx,
          enqueue: (...requests) => jobs.enqueue(trx, requests),
          publish: (...more) => {
            if (!deps.leadEvents) throw new Error('This unit of work was opened without leadEvents');
            events.push(...more);
          },
          afterCommit: (effect) => effects.push(effect),
        };
        openUnits.set(trx, { unit, handle, deps });
        return work(unit);
      });
      return { result, events, jobs, effects };
    } catch (error) {
      await jobs.rollback().catch(() => undefined);
      throw error;
    }
  }, options.attempts);
  await jobs.commit();
  if (events.length > 0) deps.leadEvents!.publish(events);
  for (const effect of effects) {
    try {
      effect();
    } catch (error) {
      deps.logger?.warn({ err: error }, 'an after-commit effect failed');
    }
  }
  return result;
}

/** The jobs of one attempt of a unit, and the services transaction they wait in if any. */
class UnitJobs {
  private servicesTrx?: Promise<ControlledTransaction<any>>;

  constructor(
    private readonly deps: UnitOfWorkDeps<unknown>,
    private readonly handle: TenantHandle,
  ) {}

  async enqueue(trx: TenantDb, jobs: EnqueueRequest[]): Promise<EnqueuedJob[]> {
    if (jobs.length === 0) return [];
    const { queue, servers } = this.deps;
    if (!queue || !servers) throw new Error('This unit of work was opened without a queue');
    const db: Kysely<any> =
      this.handle.server === servers.defaultServer ? trx : await this.openServicesTrx(servers);
    return queue.enqueueMany(jobs, db);
  }

  async commit(): Promise<void> {
    if (this.servicesTrx) await (await this.servicesTrx).commit().execute();
  }

  async rollback(): Promise<void> {
    if (!this.servicesTrx) return;
    const trx = await this.servicesTrx.catch(() => undefined);
    await trx?.rollback().execute();
  }

  private openServicesTrx(servers: { readonly defaultServer: DatabaseServer }) {
    this.servicesTrx ??= servers.defaultServer.db.startTransaction().execute();
    return this.servicesTrx;
  }
}
