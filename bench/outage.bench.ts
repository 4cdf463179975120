/**
 * pnpm bench:outage — database outages under lead ingest: a server process on a private database
 * (owned by a role with a connection limit) loses its database BENCH_OUTAGES times (5) for
 * BENCH_OUTAGE_MS (4000) each (ALLOW_CONNECTIONS false + terminating its backends), while a client
 * posts leads one after another. Per outage: time until /health/ready answers 200 after the
 * database returns, the role's connections and the process's open file descriptors during and
 * after, leads acknowledged during the outage; at the end, how many acknowledged leads are stored.
 * Needs the Postgres server of TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import {
  countStored,
  ingestLoop,
  isReady,
  startOutageRig,
  timeUntil,
} from '../src/testing/database-outage.js';
import { postgresAdminUrl } from '../src/testing/postgres-admin.js';
import { describeMachine } from './lib/machine.js';

const outages = Number(process.env.BENCH_OUTAGES ?? 5);
const outageMs = Number(process.env.BENCH_OUTAGE_MS ?? 4000);
const poolMax = Number(process.env.DB_POOL_MAX ?? 10);
/** ROLE=all: tenant changes, tenant memos, jobs. */
const listenClients = 3;

interface Row {
  recoveryMs: number;
  listenMs: number;
  firstLeadMs: number;
  peakConnectionsDuring: number;
  peakFdsDuring: number;
  connectionsAfter: number;
  fdsAfter: number;
  acknowledgedDuring: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const machine = await describeMachine(postgresAdminUrl);
  const rig = await startOutageRig({ poolMax, connectionLimit: 40, connectTimeoutMs: 5000 });
  const rows: Row[] = [];
  let baselineFds: number;
  let baselineConnections: number;
  const load = ingestLoop(rig.crm, { max: 1_000_000, phonePrefix: '97' });
  try {
    await timeUntil(async () => load.acknowledged.length >= 200, { withinMs: 30_000 });
    baselineFds = rig.openFds();
    baselineConnections = await rig.connections();
    for (let n = 0; n < outages; n++) {
      const ackedBefore = load.acknowledged.length;
      await rig.cut();
      let peakConnectionsDuring = 0;
      let peakFdsDuring = 0;
      const until = Date.now() + outageMs;
      try {
        while (Date.now() < until) {
          peakConnectionsDuring = Math.max(peakConnectionsDuring, await rig.connections());
          peakFdsDuring = Math.max(peakFdsDuring, rig.openFds());
          await sleep(100);
        }
      } finally {
        await rig.restore();
      }
      const acknowledgedDuring = load.acknowledged.length - ackedBefore;
      const returned = Date.now();
      const recoveryMs = await timeUntil(isReady(rig), { withinMs: 60_000, everyMs: 20 });
      const firstLead = timeUntil(async () => load.acknowledged.length > ackedBefore + acknowledgedDuring, {
        withinMs: 60_000,
        everyMs: 5,
      }).then(() => Date.now() - returned);
      await timeUntil(async () => (await rig.listeners()) >= listenClients, {
        withinMs: 60_000,
        everyMs: 20,
      });
      const listenMs = Date.now() - returned;
      const firstLeadMs = await firstLead;
      await sleep(2000);
      rows.push({
        recoveryMs,
        listenMs,
        firstLeadMs,
        peakConnectionsDuring,
        peakFdsDuring,
        connectionsAfter: await rig.connections(),
        fdsAfter: rig.openFds(),
        acknowledgedDuring,
      });
    }
  } finally {
    await load.stop();
  }
  const stored = await countStored(rig.crm, load.acknowledged);
  const statuses = Object.fromEntries(load.statuses);
  await rig.dispose();

  const median = (pick: (row: Row) => number) =>
    rows.map(pick).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
  console.log(`\nMachine: ${machine} (shared with other work while measured)`);
  console.log(
    `${outages} outages of ${outageMs} ms under sequential lead ingest; DB_POOL_MAX ${poolMax}, ${listenClients} LISTEN clients (ROLE=all)`,
  );
  console.log(`Before: ${baselineConnections} connections, ${baselineFds} open fds\n`);
  console.log(
    '| Outage | ready | first lead acknowledged | LISTEN re-established | connections during (peak) | fds during (peak) | connections after | fds after | leads acknowledged during |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  rows.forEach((row, n) =>
    console.log(
      `| ${n + 1} | ${row.recoveryMs} ms | ${row.firstLeadMs} ms | ${row.listenMs} ms | ${row.peakConnectionsDuring} | ${row.peakFdsDuring} | ${row.connectionsAfter} | ${row.fdsAfter} | ${row.acknowledgedDuring} |`,
    ),
  );
  console.log(
    `\nMedian after the database returned (times from ALLOW_CONNECTIONS true): ready ${median((row) => row.recoveryMs)} ms, ` +
      `first lead acknowledged ${median((row) => row.firstLeadMs)} ms, every LISTEN re-established ${median((row) => row.listenMs)} ms`,
  );
  console.log(`Answers: ${JSON.stringify(statuses)}`);
  console.log(`Acknowledged leads (201/200): ${load.acknowledged.length}, stored: ${stored}`);
  const invariants = {
    'every acknowledged lead is stored': stored === load.acknowledged.length,
    'no answer other than 201/200/503': load.unexpected.length === 0,
    'connections after ≤ pool max + LISTEN clients': rows.every(
      (row) => row.connectionsAfter <= poolMax + listenClients,
    ),
    'ready, ingesting and listening within 5 s of the database returning': rows.every(
      (row) => Math.max(row.recoveryMs, row.firstLeadMs, row.listenMs) < 5000,
    ),
  };
  for (const [name, ok] of Object.entries(invariants)) console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}`);
  if (Object.values(invariants).some((ok) => !ok)) process.exitCode = 1;
}

await main();
