/**
 * Queue benchmark (`pnpm bench:queue`): Switchyard's Postgres queue side by side with
 * graphile-worker and pg-boss, each in its own fresh database on the same local server,
 * no-op jobs. Prints the machine and a markdown table (BENCHMARKS.md, "Job queue", says how to read it).
 */
import { fork, type ChildProcess } from 'node:child_process';
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
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), PostgreSQL ${serverVersion}, Node ${process.versions.node}`;
  console.log(
    `\nMachine: ${machine}; ${Math.round(msSince(started) / 1000)} s in all, load average ${loadAtStart} at the start\n`,
  );
  console.log(table(results));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
