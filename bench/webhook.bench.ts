/**
 * pnpm bench:webhook [--db postgres|pglite] [--requests 6000] [--concurrency 32]
 *
 * Signed WhatsApp webhook POSTs (a mix of inbound messages and statuses for two tenants)
 * against bare `GET /` in the same run: accepted/s and p50/p99 latency, then the time to
 * process every stored event, and a check that each message is stored exactly once.
 *
 * The process runs in the web role during the load (jobs wait in the Postgres queue); a
 * real job worker then drains them, which is the processing time reported.
 */
import { parseArgs } from 'node:util';
import { processEventJob } from '../src/whatsapp/process-event.job.js';
import {
  change,
  inbound,
  signedRequest,
  status,
  testAppSecret,
  webhook,
} from '../src/whatsapp/testing/meta-payloads.js';
import { JobWorker } from '../src/queue/job-worker.js';
import { createTestDatabase } from '../src/testing/test-database.js';
import { startTestApp, testAdminToken } from '../src/testing/test-app.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'postgres' },
    requests: { type: 'string', default: '6000' },
    concurrency: { type: 'string', default: '32' },
  },
});
const total = Number(values.requests);
const concurrency = Number(values.concurrency);

interface Run {
  name: string;
  ok: number;
  failed: number;
  seconds: number;
  latencies: number[];
}

async function load(name: string, send: (i: number) => Promise<Response>): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = performance.now();
        const response = await send(i);
        await response.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (response.ok) ok++;
        else failed++;
      }
    }),
  );
  return { name, ok, failed, seconds: (performance.now() - started) / 1000, latencies };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function report(run: Run) {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  return {
    name: run.name,
    ok: run.ok,
    failed: run.failed,
    perSecond: Math.round(run.ok / run.seconds),
    p50ms: Number(percentile(sorted, 50).toFixed(2)),
    p99ms: Number(percentile(sorted, 99).toFixed(2)),
  };
}

const database = await createTestDatabase(values.db as 'postgres' | 'pglite');
const t = await startTestApp(
  { META_APP_SECRET: testAppSecret, LOG_LEVEL: 'warn', RATE_LIMIT_MAX: '1000000', ROLE: 'web' },
  database,
);

/** Polls the queue until no job waits, retries or runs; answers the count of each final status. */
async function drained(): Promise<Record<string, number>> {
  for (;;) {
    const rows = await t.app.services.platform
      .selectFrom('jobs')
      .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('status')
      .execute();
    const counts = Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
    if (!counts.queued && !counts.failed && !counts.running) return counts;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
try {
  const numbers = ['1000001', '2000002'];
  for (const [index, code] of ['bench_a', 'bench_b'].entries()) {
    await t.createTenant(code);
    const res = await t.request(`/api/platform/tenants/${code}/secrets/whatsapp`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${testAdminToken}` },
      body: { phoneNumberIds: [numbers[index]], wabaId: 'W', accessToken: 'x', verifyToken: 'v' },
    });
    if (res.status !== 200) throw new Error(res.text);
  }

  // Realistic mix: 3 of 4 deliveries carry a message, 1 of 4 a status; every 5th spans both tenants.
  const bodies = Array.from({ length: total }, (_, i) => {
    const own = numbers[i % 2]!;
    const changes = [
      i % 4 === 3
        ? change({ phoneNumberId: own, statuses: [status(`wamid.OUT${i}`, 'delivered', '34600000000')] })
        : change({
            phoneNumberId: own,
            messages: [inbound(`wamid.IN${i}`, `34600${i % 500}`, 'text', { text: { body: `hello ${i}` } })],
          }),
    ];
    if (i % 5 === 0) {
      changes.push(
        change({
          phoneNumberId: numbers[(i + 1) % 2]!,
          statuses: [status(`wamid.OUTX${i}`, 'read', '34600000001')],
        }),
      );
    }
    return signedRequest(webhook({ changes }));
  });
  const expectedMessages = bodies.filter((_, i) => i % 4 !== 3).length;

  // Warm-up, then the anchor and the webhook run.
  await load('warm-up', () => fetch(`${t.baseUrl}/`));
  const bare = await load('GET /', () => fetch(`${t.baseUrl}/`));
  const hooks = await load('POST /api/whatsapp/webhook (signed)', (i) =>
    fetch(`${t.baseUrl}/api/whatsapp/webhook`, {
      method: 'POST',
      headers: bodies[i]!.headers,
      body: bodies[i]!.body,
    }),
  );

  const processingStarted = performance.now();
  const worker = new JobWorker(t.app.services, [processEventJob], {
    ...t.config.queue,
    shutdownGraceMs: t.config.shutdownTimeoutMs,
  });
  await worker.start();
  const outcomes = await drained();
  const processingSeconds = (performance.now() - processingStarted) / 1000;
  await worker.stop();
  const jobs = Object.values(outcomes).reduce((sum, n) => sum + n, 0);
  const failures = jobs - (outcomes.succeeded ?? 0);
  let stored = 0;
  for (const code of ['bench_a', 'bench_b']) {
    const tenant = await t.app.services.tenantAdmin.requireTenant(code);
    const handle = await t.app.services.connections.resolve(tenant);
    const row = await handle.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    stored += Number(row.n);
  }

  const anchor = report(bare);
  const result = report(hooks);
  console.log(
    JSON.stringify(
      {
        database: values.db,
        requests: total,
        concurrency,
        anchor,
        webhook: { ...result, ratioToAnchor: Number((result.perSecond / anchor.perSecond).toFixed(3)) },
        processing: {
          jobs,
          failures,
          seconds: Number(processingSeconds.toFixed(2)),
          eventsPerSecond: Math.round(jobs / processingSeconds),
        },
        messages: { expected: expectedMessages, stored, lostOrDuplicated: expectedMessages - stored },
      },
      null,
      2,
    ),
  );
} finally {
  await t.close();
  await database.drop();
}
