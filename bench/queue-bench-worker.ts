/**
 * One worker process of the queue benchmark: `tsx bench/queue-bench-worker.ts <system> <mode> <url>`.
 * It prepares (connects, migrates), says `prepared`, starts working on `go`, and reports
 * through IPC. The parent kills it when done.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type RunnerOptions } from 'graphile-worker';
import { PgBoss } from 'pg-boss';
import { openServices } from '../src/app/switchyard.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/logging/logger.js';
import { JobWorker } from '../src/queue/job-worker.js';
import {
  benchKind,
  fairConcurrency,
  benchPayload,
  type BenchPayload,
  type SystemName,
  type WorkerMessage,
  type WorkerMode,
} from './queue-bench-shared.js';

const [system, mode, url] = process.argv.slice(2) as [SystemName, WorkerMode, string];
const send = (message: WorkerMessage) => process.send!(message);

let lags: string[] = [];
let started = 0;
let reported = 0;
setInterval(() => {
  if (started !== reported) send({ type: 'count', started: (reported = started) });
  if (lags.length === 0) return;
  send({ type: 'lags', lagsNs: lags });
  lags = [];
}, 20).unref();

async function handle(payload: BenchPayload): Promise<void> {
  const now = process.hrtime.bigint();
  started++;
  if (payload.sent && (mode !== 'fair' || payload.tenant === 'B')) {
    lags.push(String(now - BigInt(payload.sent)));
  }
  if (mode === 'hold') {
    send({ type: 'holding' });
    return new Promise(() => undefined);
  }
  if (mode === 'recover') send({ type: 'ran', hold: payload.hold === true });
  if (payload.sleepMs) await new Promise((resolve) => setTimeout(resolve, payload.sleepMs));
}

/** Jobs in flight: 10 everywhere, except for the no-op drain (see each system's settings). */
const concurrency = mode === 'drain' ? 100 : fairConcurrency;

async function prepareSwitchyard(): Promise<() => Promise<void>> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: url,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'queue-bench-')),
    SECRETS_KEY: randomBytes(32).toString('base64'),
    PLATFORM_ADMIN_TOKEN: randomBytes(24).toString('hex'),
    // Claims of up to 1,000 jobs (one more batch claimed ahead, the JOB_PREFETCH default), outcome
    // writes batched: as pg-boss's batches below.
    WORKER_CONCURRENCY: String(mode === 'drain' ? 1000 : concurrency),
    DB_POOL_MAX: '10',
  });
  const services = await openServices(config, createLogger({ level: 'silent' }));
  const worker = new JobWorker(
    services,
    [
      { kind: benchKind, payload: benchPayload, handler: ({ job }) => handle(job.payload) },
      // As the app's workers, which serve a kind capped per tenant (imports.run): the claim gets
      // a capped kind, though the bench enqueues none of it.
      { kind: 'bench.capped', payload: benchPayload, handler: () => Promise.resolve(), tenantConcurrency: 1 },
    ],
    { ...config.queue, shutdownGraceMs: 1000 },
  );
  return () => worker.start();
}

async function prepareGraphile(): Promise<() => Promise<void>> {
  const options: RunnerOptions = {
    connectionString: url,
    concurrency,
    noHandleSignals: true,
    taskList: { [benchKind]: (payload) => handle(payload as BenchPayload) },
    logger: undefined,
    preset:
      mode === 'drain'
        ? // The documented batching set-up for throughput (worker.graphile.org/docs/performance#batching).
          { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
        : {},
  };
  return async () => {
    await run(options);
  };
}

async function preparePgBoss(): Promise<() => Promise<void>> {
  const boss = new PgBoss({ connectionString: url, useListenNotify: true, max: 10 });
  boss.on('error', () => undefined);
  await boss.start();
  return async () => {
    await boss.work(
      benchKind,
      {
        // Batch fetch and batch completion for throughput; one job per fetch elsewhere.
        batchSize: mode === 'drain' ? 500 : 1,
        localConcurrency: mode === 'drain' ? 2 : concurrency,
        burstWhenBatchFull: mode === 'drain',
        pollingIntervalSeconds: 2,
      },
      async (jobs) => {
        await Promise.all(jobs.map((job) => handle(job.data as BenchPayload)));
      },
    );
  };
}

const prepare = {
  switchyard: prepareSwitchyard,
  'graphile-worker': prepareGraphile,
  'pg-boss': preparePgBoss,
};
const start = await prepare[system]();
process.on('message', (message) => {
  if (message === 'go') void start();
});
send({ type: 'prepared' });
