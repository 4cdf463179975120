/**
 * pnpm bench:webhook — signed WhatsApp webhook deliveries (3 of 4 carry an inbound message, 1 of 4 a
 * status, every 5th also a status for the other tenant; unique Meta message ids; two tenants) posted
 * by autocannon, 64 connections, to `server.ts` in its own process (web role), against bare `GET /`
 * in the same run. Then a worker process (`ROLE=worker`) drains the queue: the time until every
 * stored event is processed. Last, the exactly-once check on the database.
 *
 * BENCH_SECONDS: the anchor's duration (default 20); BENCH_WEBHOOKS: deliveries sent (default 40,000),
 * a fixed number so that every one of them is answered before the check.
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { change, inbound, signedRequest, status, testAppSecret, webhook } from '../src/whatsapp/index.js';
import { startBenchServer } from './bench-server.js';
import { formatCpu } from './lib/cpu.js';
import { printLoadReport } from './lib/report.js';

const connections = 64;
const duration = Number(process.env.BENCH_SECONDS ?? 20);
const deliveries = Number(process.env.BENCH_WEBHOOKS ?? 40_000);
const numbers = ['1000001', '2000002'];
const tenantCodes = ['benchwa_a', 'benchwa_b'];

/** Delivery `n` of the mix, and how many inbound messages it carries. */
function delivery(n: number): { body: string; headers: Record<string, string>; messages: number } {
  const own = numbers[n % 2]!;
  const isStatus = n % 4 === 3;
  const changes = [
    isStatus
      ? change({ phoneNumberId: own, statuses: [status(`wamid.OUT${n}`, 'delivered', '34600000000')] })
      : change({
          phoneNumberId: own,
          messages: [inbound(`wamid.IN${n}`, `34600${n % 500}`, 'text', { text: { body: `hello ${n}` } })],
        }),
  ];
  if (n % 5 === 0) {
    changes.push(
      change({
        phoneNumberId: numbers[(n + 1) % 2]!,
        statuses: [status(`wamid.OUTX${n}`, 'read', '34600000001')],
      }),
    );
  }
  return { ...signedRequest(webhook({ changes })), messages: isStatus ? 0 : 1 };
}

async function main(): Promise<void> {
  const server = await startBenchServer({
    DB_POOL_MAX: process.env.DB_POOL_MAX ?? '16',
    META_APP_SECRET: testAppSecret,
    ROLE: 'web',
  });
  try {
    for (const [index, code] of tenantCodes.entries()) {
      await server.createTenant(code);
      const response = await fetch(`${server.baseUrl}/api/platform/tenants/${code}/secrets/whatsapp`, {
        method: 'PUT',
        headers: { ...server.adminHeaders, 'content-type': 'application/json' },
        body: JSON.stringify({
          phoneNumberIds: [numbers[index]],
          wabaId: `WABA-${code}`,
          accessToken: 'x',
          verifyToken: 'v',
        }),
      });
      if (response.status !== 200) throw new Error(await response.text());
    }

    await autocannon({ url: `${server.baseUrl}/`, connections, duration: 3 }); // warm-up
    // CPU per request (server, Postgres, load generator): steadier than req/s when other work shares the cores.
    const measured = async (options: autocannon.Options) => {
      const cpuPerRequest = server.measureCpu();
      const started = performance.now();
      let lastResponse = started;
      const result = await new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(options, (error, done) => (error ? reject(error) : resolve(done)));
        instance.on('response', () => (lastResponse = performance.now()));
      });
      return {
        result,
        // Until the last answer: autocannon ends a fixed-amount run on its next whole-second tick.
        seconds: (lastResponse - started) / 1000,
        cpu: cpuPerRequest(result.requests.total),
      };
    };
    const { result: anchor, cpu: anchorCpu } = await measured({
      url: `${server.baseUrl}/`,
      connections,
      duration,
    });
    let sent = 0;
    let messagesSent = 0;
    const {
      result: hooks,
      seconds: hooksSeconds,
      cpu: hooksCpu,
    } = await measured({
      url: `${server.baseUrl}/api/whatsapp/webhook`,
      connections,
      amount: deliveries,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => {
            const { body, headers, messages } = delivery(sent++);
            messagesSent += messages;
            return { ...request, headers, body };
          },
        },
      ],
    });

    const stopWorker = server.startWorker();
    const client = new pg.Client({ connectionString: server.database.url });
    await client.connect();
    const count = async (text: string) => ((await client.query(text)).rows[0] as { n: number }).n;
    while (
      (await count(
        `select count(*)::int as n from platform.jobs where status in ('queued', 'running', 'failed')`,
      )) > 0
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await stopWorker();
    // From the first job's start to the last one's end: the worker process's boot is not counted.
    const processingSeconds = Number(
      (
        await client.query(
          `select extract(epoch from max(finished_at) - min(started_at)) as s from platform.jobs`,
        )
      ).rows[0].s,
    );

    const union = (select: (schema: string) => string) =>
      tenantCodes.map((code) => select(`"t_${code}"`)).join(' union all ');
    const events = await count(
      `select count(*)::int as n from (${union((s) => `select id from ${s}.whatsapp_events`)}) e`,
    );
    const processed = await count(
      `select count(*)::int as n from (${union((s) => `select id from ${s}.whatsapp_events where processed_at is not null`)}) e`,
    );
    const unsucceeded = await count(
      `select count(*)::int as n from platform.jobs where kind = 'whatsapp.process_event' and status <> 'succeeded'`,
    );
    const messages = await count(
      `select count(*)::int as n from (${union((s) => `select id from ${s}.messages`)}) m`,
    );
    // Every Meta id (message or status) in the stored events, to find one stored twice.
    const storedIds = `${union(
      (s) => `select coalesce(item->>'id', '') as id from ${s}.whatsapp_events,
        jsonb_array_elements(payload->'changes') c,
        jsonb_array_elements(coalesce(c->'value'->'messages', '[]') || coalesce(c->'value'->'statuses', '[]')) item`,
    )}`;
    const ids = await count(`select count(*)::int as n from (${storedIds}) i`);
    const distinctIds = await count(`select count(distinct id)::int as n from (${storedIds}) i`);
    await client.end();

    // autocannon's req/s is the mean of whole-second buckets, and a fixed-amount run ends on a
    // whole-second tick (40,000 answered in 13.4 s reads as 40,000 / 14): the rate is over the time
    // from the start to the last answer.
    hooks.requests.average = sent / hooksSeconds;
    printLoadReport({
      connections,
      durationSeconds: duration,
      rows: [
        ['GET / (anchor)', anchor],
        [`POST /api/whatsapp/webhook, signed, ${deliveries.toLocaleString('en')} deliveries`, hooks],
      ],
      invariants: {
        'every delivery answered 200': hooks['2xx'] === sent && hooks.non2xx + hooks.errors === 0,
        'messages stored = messages sent': messages === messagesSent,
        'no Meta id stored twice': ids === distinctIds,
        'every stored event processed, every job succeeded': processed === events && unsucceeded === 0,
      },
    });
    console.log(
      `CPU per request: GET / ${formatCpu(anchorCpu)}; webhook ${formatCpu(hooksCpu)}.\n` +
        `Webhook row: ${hooksSeconds.toFixed(2)} s for ${sent} deliveries (${messagesSent} messages). ` +
        `Processing by one worker process: ${events} events in ${processingSeconds.toFixed(1)} s ` +
        `(${Math.round(events / processingSeconds)} events/s).`,
    );
  } finally {
    await server.stop();
  }
}

await main();
