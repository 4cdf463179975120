/**
 * Queue benchmark (`pnpm bench:queue`): Switchyard's Postgres queue side by side with
 * graphile-worker and pg-boss, each in its own fresh database on the same local server,
 * no-op jobs. Prints a table and writes the `## Queue (pnpm bench:queue)` section of BENCHMARKS.md.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openProducer } from './queue-bench-producers.js';
import {
  systems,
  type BenchPayload,
  type SystemName,
  type WorkerMessage,
  type WorkerMode,
} from './queue-bench-shared.js';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const drainJobs = 20_000;
const latencyJobs = 300;
const fairBacklog = 100_000;
const fairProbes = 50;
const recoveryCapMs = 90_000;
const fairCapMs = 10_000;

/** For quicker runs while tuning: BENCH_SYSTEMS=switchyard BENCH_SCENARIOS=main,crash,fair */
const selectedSystems = process.env.BENCH_SYSTEMS?.split(',') ?? systems;
const scenarios = new Set(process.env.BENCH_SCENARIOS?.split(',') ?? ['main', 'crash', 'fair']);
const activeSystems = systems.filter((system) => selectedSystems.includes(system));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowNs = () => process.hrtime.bigint();
const msSince = (start: bigint) => Number(nowNs() - start) / 1e6;

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function freshDatabase(
  system: SystemName,
  scenario: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `queue_bench_${system.replace('-', '_')}_${scenario}`;
  await admin(async (client) => {
    await client.query(`drop database if exists ${name} with (force)`);
    await client.query(`create database ${name}`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      admin((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/** A worker process; resolves once it is connected and migrated, and starts working on `go()`. */
class WorkerProcess {
  readonly lagsMs: number[] = [];
  private readonly child: ChildProcess;
  private readonly listeners = new Set<(message: WorkerMessage) => void>();
  private readonly exited: Promise<void>;
  /** Resolves once the process is connected and migrated. */
  readonly prepared: Promise<WorkerMessage>;

  constructor(system: SystemName, mode: WorkerMode, url: string) {
    this.child = fork(join(import.meta.dirname, 'queue-bench-worker.ts'), [system, mode, url], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.on('message', (message: WorkerMessage) => {
      if (message.type === 'lags') this.lagsMs.push(...message.lagsNs.map((ns) => Number(BigInt(ns)) / 1e6));
      for (const listener of this.listeners) listener(message);
    });
    this.prepared = this.next('prepared');
  }

  next(
    type: WorkerMessage['type'],
    predicate: (message: WorkerMessage) => boolean = () => true,
  ): Promise<WorkerMessage> {
    return new Promise((resolve, reject) => {
      const listener = (message: WorkerMessage) => {
        if (message.type !== type || !predicate(message)) return;
        this.listeners.delete(listener);
        resolve(message);
      };
      this.listeners.add(listener);
      void this.exited.then(() => reject(new Error(`worker exited before '${type}'`)));
    });
  }

  async start(): Promise<void> {
    await this.prepared;
    this.child.send('go');
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

async function waitFor(
  condition: () => Promise<boolean> | boolean,
  capMs: number,
  everyMs = 25,
): Promise<boolean> {
  const start = nowNs();
  while (msSince(start) < capMs) {
    if (await condition()) return true;
    await sleep(everyMs);
  }
  return false;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Result {
  enqueuePerSec: number;
  drainPerSec: number;
  latencyP50: number;
  latencyP99: number;
  /** null when not recovered within the cap. */
  recoveryMs: number | null;
  fairP50: number | null;
  fairP99: number | null;
  fairStarted: number;
}

async function throughputAndLatency(system: SystemName, result: Partial<Result>): Promise<void> {
  const db = await freshDatabase(system, 'main');
  const producer = await openProducer[system](db.url);
  try {
    const payloads: BenchPayload[] = Array.from({ length: drainJobs }, () => ({}));
    const enqueueStart = nowNs();
    await producer.enqueueBulk(payloads);
    result.enqueuePerSec = drainJobs / (msSince(enqueueStart) / 1000);

    const drainer = new WorkerProcess(system, 'drain', db.url);
    await drainer.prepared;
    const drainStart = nowNs();
    await drainer.start();
    await drainer.next('count', (message) => message.type === 'count' && message.started >= drainJobs);
    await waitFor(async () => (await producer.unfinished()) === 0, 120_000, 5);
    result.drainPerSec = drainJobs / (msSince(drainStart) / 1000);
    await drainer.kill();

    const worker = new WorkerProcess(system, 'latency', db.url);
    await worker.start();
    await sleep(1000);
    for (let n = 0; n < latencyJobs; n++) {
      await producer.enqueueOne({ sent: String(nowNs()) });
      await sleep(5);
    }
    await waitFor(() => worker.lagsMs.length >= latencyJobs, 10_000);
    result.latencyP50 = percentile(worker.lagsMs, 50);
    result.latencyP99 = percentile(worker.lagsMs, 99);
    await worker.kill();
  } finally {
    await producer.close();
    await db.drop();
  }
}

function keepBetter(best: Partial<Result>, round: Partial<Result>): void {
  best.enqueuePerSec = Math.max(best.enqueuePerSec ?? 0, round.enqueuePerSec!);
  best.drainPerSec = Math.max(best.drainPerSec ?? 0, round.drainPerSec!);
  if (best.latencyP50 === undefined || round.latencyP50! < best.latencyP50) {
    best.latencyP50 = round.latencyP50;
    best.latencyP99 = round.latencyP99;
  }
}

async function crashRecovery(system: SystemName, result: Partial<Result>): Promise<void> {
  const db = await freshDatabase(system, 'crash');
  const producer = await openProducer[system](db.url);
  try {
    const holder = new WorkerProcess(system, 'hold', db.url);
    await holder.start();
    const holding = holder.next('holding');
    await producer.enqueueOne({ hold: true });
    await holding;
    await holder.kill();
    const killedAt = nowNs();
    const survivor = new WorkerProcess(system, 'recover', db.url);
    await survivor.start();
    const recovered = await Promise.race([
      survivor.next('ran', (message) => message.type === 'ran' && message.hold).then(() => true),
      sleep(recoveryCapMs).then(() => false),
    ]);
    result.recoveryMs = recovered ? msSince(killedAt) : null;
    await survivor.kill();
  } finally {
    await producer.close();
    await db.drop();
  }
}

async function fairness(system: SystemName, result: Partial<Result>): Promise<void> {
  const db = await freshDatabase(system, 'fair');
  const producer = await openProducer[system](db.url);
  try {
    await producer.enqueueBulk(
      Array.from({ length: fairBacklog }, () => ({ tenant: 'A' as const, sleepMs: 20 })),
    );
    const worker = new WorkerProcess(system, 'fair', db.url);
    await worker.start();
    await sleep(1000);
    for (let n = 0; n < fairProbes; n++) {
      await producer.enqueueOne({ tenant: 'B', sent: String(nowNs()) });
      await sleep(20);
    }
    await waitFor(() => worker.lagsMs.length >= fairProbes, fairCapMs);
    result.fairStarted = worker.lagsMs.length;
    // Probes that never started count as slower than everything measured.
    const lags = [...worker.lagsMs, ...Array<number>(fairProbes - worker.lagsMs.length).fill(Infinity)];
    result.fairP50 = Number.isFinite(percentile(lags, 50)) ? percentile(lags, 50) : null;
    result.fairP99 = Number.isFinite(percentile(lags, 99)) ? percentile(lags, 99) : null;
    await worker.kill();
  } finally {
    await producer.close();
    await db.drop();
  }
}

const fmt = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined
    ? 'n/a'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** How many times better Switchyard is; a capped (unfinished) other side gives a lower bound. */
function ratio(
  ours: number | null | undefined,
  theirs: number | null | undefined,
  higherIsBetter: boolean,
  cap?: number,
): string {
  if (ours == null) return '—';
  if (theirs == null) return cap === undefined ? '—' : `> ${(cap / ours).toFixed(0)}×`;
  const r = higherIsBetter ? ours / theirs : theirs / ours;
  return `${r.toFixed(2)}×`;
}

function table(results: Record<SystemName, Partial<Result>>): string {
  const s = results.switchyard;
  const g = results['graphile-worker'];
  const b = results['pg-boss'];
  const capped = (value: number | null | undefined, cap: number) =>
    value == null ? `> ${fmt(cap)}` : fmt(value);
  const rows: [string, string, string, string, string, string][] = [
    [
      'Bulk enqueue (jobs/s)',
      fmt(s.enqueuePerSec),
      fmt(g.enqueuePerSec),
      fmt(b.enqueuePerSec),
      ratio(s.enqueuePerSec, g.enqueuePerSec, true),
      ratio(s.enqueuePerSec, b.enqueuePerSec, true),
    ],
    [
      `Drain ${fmt(drainJobs)} no-op jobs (jobs/s)`,
      fmt(s.drainPerSec),
      fmt(g.drainPerSec),
      fmt(b.drainPerSec),
      ratio(s.drainPerSec, g.drainPerSec, true),
      ratio(s.drainPerSec, b.drainPerSec, true),
    ],
    [
      'Enqueue→start p50 (ms), other process',
      fmt(s.latencyP50, 2),
      fmt(g.latencyP50, 2),
      fmt(b.latencyP50, 2),
      ratio(s.latencyP50, g.latencyP50, false),
      ratio(s.latencyP50, b.latencyP50, false),
    ],
    [
      'Enqueue→start p99 (ms), other process',
      fmt(s.latencyP99, 2),
      fmt(g.latencyP99, 2),
      fmt(b.latencyP99, 2),
      ratio(s.latencyP99, g.latencyP99, false),
      ratio(s.latencyP99, b.latencyP99, false),
    ],
    [
      "Killed worker's job runs again after (ms)",
      capped(s.recoveryMs, recoveryCapMs),
      capped(g.recoveryMs, recoveryCapMs),
      capped(b.recoveryMs, recoveryCapMs),
      ratio(s.recoveryMs, g.recoveryMs, false, recoveryCapMs),
      ratio(s.recoveryMs, b.recoveryMs, false, recoveryCapMs),
    ],
    [
      `Tenant B p50 (ms), A has ${fmt(fairBacklog)} queued`,
      capped(s.fairP50, fairCapMs),
      capped(g.fairP50, fairCapMs),
      capped(b.fairP50, fairCapMs),
      ratio(s.fairP50, g.fairP50, false, fairCapMs),
      ratio(s.fairP50, b.fairP50, false, fairCapMs),
    ],
    [
      `Tenant B p99 (ms), A has ${fmt(fairBacklog)} queued`,
      capped(s.fairP99, fairCapMs),
      capped(g.fairP99, fairCapMs),
      capped(b.fairP99, fairCapMs),
      ratio(s.fairP99, g.fairP99, false, fairCapMs),
      ratio(s.fairP99, b.fairP99, false, fairCapMs),
    ],
    [
      `Tenant B jobs started within ${fmt(fairCapMs / 1000)} s (of ${fairProbes})`,
      fmt(s.fairStarted),
      fmt(g.fairStarted),
      fmt(b.fairStarted),
      '',
      '',
    ],
  ];
  const header =
    '| Metric | Switchyard | graphile-worker 0.18 | pg-boss 12 | Switchyard vs graphile-worker | Switchyard vs pg-boss |';
  const divider = '|---|--:|--:|--:|--:|--:|';
  return [header, divider, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

function writeSection(markdown: string): void {
  const file = join(import.meta.dirname, '..', 'BENCHMARKS.md');
  const heading = '## Queue (pnpm bench:queue)';
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = existing.indexOf(heading);
  let next = start < 0 ? -1 : existing.indexOf('\n## ', start + heading.length);
  if (next < 0) next = existing.length;
  const updated =
    start < 0
      ? `${existing.trimEnd()}\n\n${markdown}\n`
      : `${existing.slice(0, start)}${markdown}\n${existing.slice(next).replace(/^\n+/, '\n')}`;
  writeFileSync(file, updated);
}

async function main(): Promise<void> {
  const started = nowNs();
  const loadAtStart = loadavg()[0]!.toFixed(1);
  const serverVersion = await admin(
    async (client) => (await client.query('show server_version')).rows[0].server_version as string,
  );
  const results = Object.fromEntries(systems.map((system) => [system, {}])) as Record<
    SystemName,
    Partial<Result>
  >;
  // Two rounds in opposite orders, keeping each system's better round: the load of a shared
  // machine drifts, and whoever ran first would otherwise get a different machine.
  const rounds = scenarios.has('main') ? [activeSystems, [...activeSystems].reverse()] : [];
  for (const [round, order] of rounds.entries()) {
    for (const system of order) {
      console.log(`${system}: bulk enqueue, drain, latency (round ${round + 1})`);
      const measured: Partial<Result> = {};
      await throughputAndLatency(system, measured);
      keepBetter(results[system], measured);
      console.log(measured);
    }
  }
  if (scenarios.has('crash')) {
    console.log(`crash recovery, all at once (cap ${recoveryCapMs / 1000} s)`);
    await Promise.all(activeSystems.map((system) => crashRecovery(system, results[system])));
  }
  console.log(Object.fromEntries(systems.map((system) => [system, results[system].recoveryMs])));
  for (const system of scenarios.has('fair') ? activeSystems : []) {
    console.log(`${system}: fairness`);
    await fairness(system, results[system]);
    console.log(results[system]);
  }
  const output = table(results);
  console.log(`\n${output}\n`);
  if (activeSystems.length < systems.length || scenarios.size < 3) return;
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), PostgreSQL ${serverVersion}, Node ${process.versions.node}`;
  writeSection(`## Queue (pnpm bench:queue)

Command: \`pnpm bench:queue\` (Postgres at \`BENCH_DATABASE_URL\`, default \`postgres://postgres@127.0.0.1:5432/postgres\`).
Machine: ${machine}. Run on ${new Date().toISOString().slice(0, 10)}, ${Math.round(msSince(started) / 1000)} s in all;
load average ${loadAtStart} at the start (the machine is shared), so absolute numbers move from run to
run: compare the systems within one run.

Each system gets its own fresh database on the same server; producer (this process) and workers
(child processes) are separate processes; jobs are no-ops unless stated. Bulk enqueue, drain and
latency run twice, the systems in opposite orders, and each system keeps its better round.

${output}

Ratios are "times better" for Switchyard (> 1× means Switchyard is faster or quicker), against the
other system measured in the same run.

Scenarios and configurations:
- **Bulk enqueue**: ${fmt(drainJobs)} jobs in chunks of 5,000 (Switchyard \`enqueueMany\`, graphile-worker
  \`addJobs\`, pg-boss \`insert\`).
- **Drain**: the ${fmt(drainJobs)} queued jobs, one worker process, timed from its start to the last
  recorded completion (the database is polled for the backlog only once every job has started). Switchyard: \`WORKER_CONCURRENCY=1000\` and the default
  \`JOB_PREFETCH\` (= concurrency): claims of up to 1,000 jobs, the next one sent while the worker runs
  the previous batch; outcome writes batched. graphile-worker: concurrency 100, \`localQueue.size\` 500, \`completeJobBatchDelay\` 0,
  \`failJobBatchDelay\` 0. pg-boss: \`batchSize\` 500, \`localConcurrency\` 2, \`burstWhenBatchFull\`.
- **Latency**: ${latencyJobs} jobs sent one at a time 5 ms apart from the producer process; lag from just
  before the enqueue call to the handler's start in the worker process (shared monotonic clock). All
  three with LISTEN/NOTIFY (pg-boss: \`useListenNotify\` and a \`notify\` queue), concurrency 10.
- **Crash recovery**: a worker takes a job and is killed with SIGKILL; a second worker starts at once;
  time from the kill to the job's second start. Defaults: Switchyard lease 30 s + poll 2 s; pg-boss with
  \`heartbeatSeconds: 10\` (the minimum; without it the job waits for \`expireInSeconds\`, 15 min);
  graphile-worker releases a dead worker's lock after 4 h. Capped at ${recoveryCapMs / 1000} s.
- **Fairness**: ${fmt(fairBacklog)} jobs of tenant A (20 ms each) queued, concurrency 10; ${fairProbes} jobs of
  tenant B sent 20 ms apart; their enqueue→start lag. graphile-worker and pg-boss have no notion of
  tenant (one task / queue, FIFO by priority), so B waits behind A's backlog; probes that did not start
  within ${fairCapMs / 1000} s after the last one count as slower than the cap.
`);
  console.log('BENCHMARKS.md updated');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
