/** The producer side of each queue system in the benchmark: bulk and single enqueue, backlog size. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeWorkerUtils } from 'graphile-worker';
import { sql } from 'kysely';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { openServices } from '../src/app/switchyard.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/logging/logger.js';
import { PostgresJobQueue } from '../src/queue/postgres-job-queue.js';
import { benchKind, type BenchPayload, type SystemName } from './queue-bench-shared.js';

export interface Producer {
  enqueueBulk(payloads: BenchPayload[]): Promise<void>;
  enqueueOne(payload: BenchPayload): Promise<void>;
  /** Jobs not finished yet (waiting or running). */
  unfinished(): Promise<number>;
  close(): Promise<void>;
}

const chunkSize = 5000;
/** Who the audit log names for the benchmark's tenants. */
const benchActor = { type: 'cli', id: null, name: 'queue-bench' } as const;

/** A pool for counting the backlog; the database is dropped with force at the end. */
function countingPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  return pool;
}

async function inChunks<T>(items: T[], work: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += chunkSize) await work(items.slice(i, i + chunkSize));
}

async function switchyardProducer(url: string): Promise<Producer> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: url,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'queue-bench-')),
    SECRETS_KEY: randomBytes(32).toString('base64'),
    PLATFORM_ADMIN_TOKEN: randomBytes(24).toString('hex'),
  });
  const services = await openServices(config, createLogger({ level: 'silent' }));
  const tenantA = (await services.tenantAdmin.createTenant({ code: 'bench_a', name: 'A' }, benchActor)).tenant
    .id;
  const tenantB = (await services.tenantAdmin.createTenant({ code: 'bench_b', name: 'B' }, benchActor)).tenant
    .id;
  const tenantOf = (payload: BenchPayload) => (payload.tenant === 'B' ? tenantB : tenantA);
  // The services' queue without kind typing: no component declares the benchmark's kind.
  const queue = new PostgresJobQueue(services.servers.defaultServer.db);
  return {
    enqueueBulk: (payloads) =>
      inChunks(payloads, (chunk) =>
        queue.enqueueMany(
          chunk.map((payload) => ({ tenantId: tenantOf(payload), kind: benchKind, payload })),
        ),
      ),
    enqueueOne: async (payload) => {
      await queue.enqueue(tenantOf(payload), benchKind, payload);
    },
    unfinished: async () => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from platform.jobs where status in ('queued', 'running', 'failed')`.execute(
        services.platform,
      );
      return rows[0]!.n;
    },
    close: () => services.servers.close(),
  };
}

async function graphileProducer(url: string): Promise<Producer> {
  const utils = await makeWorkerUtils({ connectionString: url });
  await utils.migrate();
  const pool = countingPool(url);
  return {
    enqueueBulk: (payloads) =>
      inChunks(payloads, (chunk) =>
        utils.addJobs(chunk.map((payload) => ({ identifier: benchKind, payload }))),
      ),
    enqueueOne: async (payload) => {
      await utils.addJob(benchKind, payload);
    },
    unfinished: async () =>
      (await pool.query('select count(*)::int as n from graphile_worker._private_jobs')).rows[0].n as number,
    close: async () => {
      await utils.release();
      await pool.end();
    },
  };
}

async function pgBossProducer(url: string): Promise<Producer> {
  const boss = new PgBoss({ connectionString: url, max: 4, supervise: false, schedule: false });
  boss.on('error', () => undefined);
  await boss.start();
  // NOTIFY on insert wakes workers at once; a 10 s heartbeat lets a dead worker's job be retried.
  await boss.createQueue(benchKind, { notify: true, heartbeatSeconds: 10 });
  const pool = countingPool(url);
  return {
    enqueueBulk: (payloads) =>
      inChunks(payloads, (chunk) =>
        boss.insert(
          benchKind,
          chunk.map((payload) => ({ data: payload })),
        ),
      ),
    enqueueOne: async (payload) => {
      await boss.send(benchKind, payload);
    },
    unfinished: async () =>
      (
        await pool.query(
          `select count(*)::int as n from pgboss.job where name = $1 and state in ('created', 'retry', 'active')`,
          [benchKind],
        )
      ).rows[0].n as number,
    close: async () => {
      await boss.stop({ graceful: false, timeout: 1000 });
      await pool.end();
    },
  };
}

export const openProducer: Record<SystemName, (url: string) => Promise<Producer>> = {
  switchyard: switchyardProducer,
  'graphile-worker': graphileProducer,
  'pg-boss': pgBossProducer,
};
