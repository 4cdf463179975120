import { sql, type Kysely } from 'kysely';
import type { EnqueuedJob, JobDefinition, JobQueue, StoredEnqueueRequest } from './job-types.js';

export const jobsChannel = 'switchyard_jobs';

export const defaultMaxAttempts = 10;

type KindDefaults = Pick<JobDefinition, 'kind' | 'maxAttempts' | 'timeoutMs'>;

/**
 * The job queue in the services database (`platform.jobs`). Enqueueing is one statement
 * (`platform.enqueue_jobs`): an INSERT ... ON CONFLICT on the per-tenant idempotency key (no
 * check-then-insert race) that also NOTIFYs the workers, delivered when the surrounding
 * transaction commits.
 *
 * Its own methods take any kind and payload (the queue's tests use kinds no component declares);
 * the app reaches it as a `JobQueue`, typed by kind.
 */
export class PostgresJobQueue implements JobQueue {
  private readonly definitions: Map<string, KindDefaults>;

  /** `definitions` give each kind its default attempts and timeout. */
  constructor(
    private readonly db: Kysely<any>,
    definitions: KindDefaults[] = [],
  ) {
    this.definitions = new Map(definitions.map((definition) => [definition.kind, definition]));
  }

  async enqueue(
    tenantId: string,
    kind: string,
    payload: unknown,
    options: StoredEnqueueRequest['options'] = {},
    db?: Kysely<any>,
  ): Promise<EnqueuedJob> {
    const [job] = await this.enqueueMany([{ tenantId, kind, payload, options }], db);
    return job!;
  }

  async enqueueMany(jobs: StoredEnqueueRequest[], db: Kysely<any> = this.db): Promise<EnqueuedJob[]> {
    if (jobs.length === 0) return [];
    // ON CONFLICT DO UPDATE cannot touch one row twice in a statement: send each key once.
    const firstOfKey = new Map<string, number>();
    const unique: StoredEnqueueRequest[] = [];
    const slotOf = jobs.map((job) => {
      const key = job.options?.idempotencyKey;
      if (key !== undefined) {
        const seen = firstOfKey.get(`${job.tenantId}\u0000${key}`);
        if (seen !== undefined) return seen;
        firstOfKey.set(`${job.tenantId}\u0000${key}`, unique.length);
      }
      unique.push(job);
      return unique.length - 1;
    });

    const column = <T>(pick: (job: StoredEnqueueRequest) => T) => unique.map(pick);
    const { rows } = await sql<{ ord: number; id: number; created: boolean }>`
      select * from platform.enqueue_jobs(
        ${column((job) => job.tenantId)}::uuid[],
        ${column((job) => job.kind)}::text[],
        ${column((job) => JSON.stringify(job.payload ?? null))}::text[],
        ${column((job) => job.options?.priority ?? 0)}::int[],
        ${column((job) => job.options?.runAt?.toISOString() ?? null)}::timestamptz[],
        ${column((job) => job.options?.maxAttempts ?? this.definitions.get(job.kind)?.maxAttempts ?? defaultMaxAttempts)}::int[],
        ${column((job) => job.options?.timeoutMs ?? this.definitions.get(job.kind)?.timeoutMs ?? null)}::int[],
        ${column((job) => job.options?.idempotencyKey ?? null)}::text[],
        ${jobsChannel})
    `.execute(db);
    const byOrd = new Map(rows.map((row) => [row.ord - 1, row]));
    return slotOf.map((slot, index) => {
      const row = byOrd.get(slot)!;
      // A later duplicate of a key sent in the same call finds the job the first one made.
      const repeated = slot !== index;
      return { id: String(row.id), created: row.created && !repeated };
    });
  }
}
