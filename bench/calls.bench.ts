/**
 * pnpm bench:calls — Twilio's signed callbacks of dialer calls (issue 21), against bare `GET /`
 * in the same run, `server.ts` in its own process (web role) on a fresh Postgres database.
 *
 * 1. Throughput: BENCH_CALLS dialer calls in progress (each with its lead, its `dialing` queue
 *    entry and a reserved salesperson, as the dialer records them), then each call's four status
 *    callbacks (initiated, ringing, in-progress, completed), in order per call, form-encoded and
 *    signed as Twilio signs them, BENCH_CONCURRENCY calls at once. The completed callback ends the
 *    call (lead counters, timeline entry, presence, the queue entry moved on, a dialer tick
 *    queued). Rated over the time to the last answer, against `GET /` at the same concurrency just
 *    before and just after (the anchor is their mean).
 * 2. Answered → bridging TwiML: BENCH_ANSWERS ringing dialer calls, each with its own free reserved
 *    salesperson; one signed answer webhook at a time (`AnsweredBy=human`), the time to the `<Dial>`
 *    TwiML, each alternated with a `GET /` (the anchor).
 * Then the invariants on the database. A broken one makes the exit code 1.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import { twilioSignature } from '../src/telephony/index.js';
import { startBenchServer } from './bench-server.js';
import { formatCpu } from './lib/cpu.js';
import { describeMachine } from './lib/machine.js';
import { percentile } from './lib/seeding.js';

const totalCalls = Number(process.env.BENCH_CALLS ?? 2_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const answers = Number(process.env.BENCH_ANSWERS ?? 200);
const warmUpCalls = 64;
const callAgents = 20;
const code = 'benchcalls';
const accountSid = `AC${randomBytes(16).toString('hex')}`;
const authToken = randomBytes(16).toString('hex');
const callerId = '+14155550100';

const sid = () => `CA${randomBytes(16).toString('hex')}`;
const rfc2822 = (at: Date) => at.toUTCString().replace('GMT', '+0000');

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** One keep-alive HTTP client, shared by every row, so that the anchor and the callbacks pay the same client costs. */
function client(baseUrl: string, sockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const { hostname, port } = new URL(baseUrl);
  return (method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, body?: string) =>
    new Promise<Answer>((resolve, reject) => {
      const started = performance.now();
      const request = http.request(
        {
          agent,
          hostname,
          port,
          method,
          path,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
            }),
          );
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
}

type Send = ReturnType<typeof client>;

/** A signed, form-encoded Twilio webhook to `path` (signature over PUBLIC_BASE_URL + path and the sorted parameters). */
function twilioPost(send: Send, publicBaseUrl: string, path: string, params: Record<string, string>) {
  return send(
    'POST',
    path,
    {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(authToken, publicBaseUrl + path, params),
      'user-agent': 'TwilioProxy/1.1',
    },
    new URLSearchParams(params).toString(),
  );
}

interface BenchCall {
  id: string;
  sid: string;
  to: string;
  queuedAt: Date;
  talkSeconds: number;
}

/** Twilio's four status callbacks of an answered outbound call, in order (SequenceNumber 0–3). */
function statusCallbacks(call: BenchCall): Record<string, string>[] {
  const common = {
    AccountSid: accountSid,
    ApiVersion: '2010-04-01',
    CallSid: call.sid,
    CallbackSource: 'call-progress-events',
    Called: call.to,
    Caller: callerId,
    Direction: 'outbound-api',
    From: callerId,
    To: call.to,
  };
  const at = (seconds: number) => rfc2822(new Date(call.queuedAt.getTime() + seconds * 1000));
  const answeredAfter = 8;
  return [
    { ...common, CallStatus: 'initiated', SequenceNumber: '0', Timestamp: at(1) },
    { ...common, CallStatus: 'ringing', SequenceNumber: '1', Timestamp: at(2) },
    { ...common, CallStatus: 'in-progress', SequenceNumber: '2', Timestamp: at(answeredAfter) },
    {
      ...common,
      CallStatus: 'completed',
      SequenceNumber: '3',
      Timestamp: at(answeredAfter + call.talkSeconds),
      CallDuration: String(call.talkSeconds),
      Duration: String(Math.ceil(call.talkSeconds / 60)),
      SipResponseCode: '200',
    },
  ];
}

/** Runs `work(i)` for i in [0, count) with `width` at once; answers the seconds to the last one's end. */
async function pool(count: number, width: number, work: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

interface Row {
  name: string;
  requests: number;
  seconds: number;
  latencies: number[];
  bad: number;
}

const describeRow = (row: Row) => {
  const sorted = [...row.latencies].sort((a, b) => a - b);
  return {
    rate: row.requests / row.seconds,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  };
};

async function main(): Promise<void> {
  const machine = await describeMachine(
    process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  const server = await startBenchServer({ DB_POOL_MAX: process.env.DB_POOL_MAX ?? '16', ROLE: 'web' });
  const db = new pg.Client({ connectionString: server.database.url });
  try {
    const publicBaseUrl = server.baseUrl; // the bench server's PUBLIC_BASE_URL
    const tenant = await server.createTenant(code, { defaultCountry: 'US' });
    const put = await fetch(`${server.baseUrl}/api/platform/tenants/${code}/secrets/twilio`, {
      method: 'PUT',
      headers: { ...server.adminHeaders, 'content-type': 'application/json' },
      // No call is placed through the REST API here (the calls are recorded as the dialer records them).
      body: JSON.stringify({
        accountSid,
        authToken,
        callerIds: [callerId],
        apiBaseUrl: 'http://127.0.0.1:9',
      }),
    });
    if (put.status !== 200) throw new Error(`twilio secret: ${await put.text()}`);

    const setup = client(server.baseUrl, 32);
    const json = async (path: string, body: unknown) => {
      const answer = await setup('POST', `/api/crm${path}`, tenant.headers, JSON.stringify(body));
      if (answer.status !== 201) throw new Error(`${path}: ${answer.status} ${answer.body}`);
      return JSON.parse(answer.body).data;
    };
    const phoneOf = (n: number) => `+1415${String(2_000_000 + n).padStart(7, '0')}`;
    // Salespeople with phones: a few take the throughput calls, one per answered call (each free).
    const agents: { id: string; phone: string }[] = [];
    await pool(callAgents + answers, 16, async (i) => {
      const phone = phoneOf(900_000 + i);
      agents[i] = {
        id: (await json('/agents', { name: `Agent ${i}`, phone, dailyLimit: 100_000 })).id,
        phone,
      };
    });
    const leadCount = warmUpCalls + totalCalls + answers;
    const leadIds: string[] = [];
    const seedStart = performance.now();
    await pool(leadCount, 32, async (i) => {
      leadIds[i] = (await json('/leads', { name: `Callee ${i}`, phone: phoneOf(i), assign: false })).lead.id;
    });

    await db.connect();
    const s = `"${tenant.schema}"`;
    /**
     * Dialer calls as `runDialerTick` + `dialRecordedCall` leave them: a `dialing` queue entry, the
     * call (reserved salesperson, provider sid), the lead's attempt counted. `status` ringing for the
     * answered-call samples (their initiated and ringing callbacks came already).
     */
    const recordCalls = async (
      from: number,
      count: number,
      agentOf: (i: number) => string,
      ringing: boolean,
    ): Promise<BenchCall[]> => {
      const queuedAt = new Date(Date.now() - 60_000);
      // Ids chosen here: a statement's sub-statements do not see each other's rows (the entry names its call).
      const rows = Array.from({ length: count }, (_, k) => ({
        id: randomUUID(),
        entry: randomUUID(),
        lead: leadIds[from + k]!,
        agent: agentOf(k),
        sid: sid(),
      }));
      const result = await db.query(
        `with input as (
           select * from jsonb_to_recordset($1::jsonb) as x(id uuid, entry uuid, lead uuid, agent uuid, sid text)
         ), entries as (
           insert into ${s}.call_queue (id, lead_id, priority, priority_rank, status, attempts, last_call_id,
             timezones, queued_at)
           select entry, lead, 'medium', 2, 'dialing', 1, id, array['America/Los_Angeles'], $2 from input
         ), placed as (
           insert into ${s}.calls (id, lead_id, agent_id, queue_entry_id, campaign, direction, mode,
             provider_call_sid, from_number, to_number, agent_number, attempt, queued_at, tried_agent_ids, status,
             status_sequence, initiated_at, ringing_at, actor, actor_type)
           select i.id, i.lead, i.agent, i.entry, 'default', 'outbound', 'dialer', i.sid, $3, l.phone, a.phone, 1,
             $2, array[i.agent], $4, $5, $6, $7, 'dialer', 'system'
           from input i join ${s}.leads l on l.id = i.lead join ${s}.agents a on a.id = i.agent
           returning id, lead_id, to_number
         ), attempted as (
           update ${s}.leads l set call_attempts = call_attempts + 1, call_status = $4
           from placed p where l.id = p.lead_id
         )
         select id, to_number as "to" from placed`,
        [
          JSON.stringify(rows),
          queuedAt,
          callerId,
          ringing ? 'ringing' : 'queued',
          ringing ? 1 : -1,
          ringing ? new Date(queuedAt.getTime() + 1000) : null,
          ringing ? new Date(queuedAt.getTime() + 2000) : null,
        ],
      );
      if (result.rows.length !== count) throw new Error(`recorded ${result.rows.length} of ${count} calls`);
      const numbers = new Map(result.rows.map((row) => [row.id as string, row.to as string]));
      return rows.map((row, k) => ({
        id: row.id,
        sid: row.sid,
        to: numbers.get(row.id)!,
        queuedAt,
        talkSeconds: 20 + ((from + k) % 280),
      }));
    };
    const warmCalls = await recordCalls(0, warmUpCalls, (k) => agents[k % callAgents]!.id, false);
    const calls = await recordCalls(warmUpCalls, totalCalls, (k) => agents[k % callAgents]!.id, false);
    const answerCalls = await recordCalls(
      warmUpCalls + totalCalls,
      answers,
      (k) => agents[callAgents + k]!.id,
      true,
    );
    await db.query(`vacuum analyze ${s}.calls, ${s}.call_queue, ${s}.leads, ${s}.agents`);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    console.error(
      `seeded ${agents.length} agents, ${leadCount} leads and their calls in ${seedSeconds.toFixed(0)} s`,
    );

    const send = client(server.baseUrl, concurrency);
    const statusPath = (call: BenchCall) => `/api/telephony/twilio/${code}/calls/${call.id}/status`;
    const callbackRow = async (name: string, list: BenchCall[]): Promise<Row> => {
      const row: Row = { name, requests: 0, seconds: 0, latencies: [], bad: 0 };
      row.seconds = await pool(list.length, concurrency, async (i) => {
        const call = list[i]!;
        for (const params of statusCallbacks(call)) {
          const answer = await twilioPost(send, publicBaseUrl, statusPath(call), params);
          row.requests++;
          row.latencies.push(answer.ms);
          if (answer.status !== 204) {
            row.bad++;
            if (row.bad <= 3) console.error(`status callback answered ${answer.status}: ${answer.body}`);
          }
        }
      });
      return row;
    };
    const anchorRow = async (name: string, requests: number): Promise<Row> => {
      const row: Row = { name, requests, seconds: 0, latencies: [], bad: 0 };
      row.seconds = await pool(requests, concurrency, async () => {
        const answer = await send('GET', '/');
        row.latencies.push(answer.ms);
        if (answer.status !== 200) row.bad++;
      });
      return row;
    };

    // Warm-up: the server's JIT, its pools, the tenant's handle and signature cache.
    await anchorRow('warm-up', 5_000);
    await callbackRow('warm-up', warmCalls);

    const callbacks = totalCalls * 4;
    const cpuBefore = server.measureCpu();
    const before = await anchorRow('GET / (anchor, before)', callbacks);
    const anchorCpuBefore = cpuBefore(callbacks);
    const cpuCallbacks = server.measureCpu();
    const statusRow = await callbackRow(
      `status callbacks, signed (${totalCalls.toLocaleString('en')} calls × 4)`,
      calls,
    );
    const callbackCpu = cpuCallbacks(callbacks);
    const after = await anchorRow('GET / (anchor, after)', callbacks);

    // Answered → bridging TwiML, one at a time, each after a GET / (the anchor), alternating.
    const answerPath = (call: BenchCall) => `/api/telephony/twilio/${code}/calls/${call.id}/answer`;
    const answerRow: Row = {
      name: 'answer webhook → <Dial> TwiML',
      requests: 0,
      seconds: 0,
      latencies: [],
      bad: 0,
    };
    const answerAnchor: Row = {
      name: 'GET / (anchor, alternated)',
      requests: 0,
      seconds: 0,
      latencies: [],
      bad: 0,
    };
    let dialsToReserved = 0;
    for (const [k, call] of answerCalls.entries()) {
      const anchor = await send('GET', '/');
      answerAnchor.latencies.push(anchor.ms);
      answerAnchor.requests++;
      answerAnchor.seconds += anchor.ms / 1000;
      if (anchor.status !== 200) answerAnchor.bad++;
      const answer = await twilioPost(send, publicBaseUrl, answerPath(call), {
        AccountSid: accountSid,
        ApiVersion: '2010-04-01',
        CallSid: call.sid,
        CallStatus: 'in-progress',
        AnsweredBy: 'human',
        Called: call.to,
        Caller: callerId,
        Direction: 'outbound-api',
        From: callerId,
        To: call.to,
      });
      answerRow.latencies.push(answer.ms);
      answerRow.requests++;
      answerRow.seconds += answer.ms / 1000;
      const dial = /<Dial[\s>][\s\S]*<\/Dial>/.test(answer.body);
      if (answer.status !== 200 || !dial) {
        answerRow.bad++;
        if (answerRow.bad <= 3) console.error(`answer webhook answered ${answer.status}: ${answer.body}`);
      }
      if (answer.body.includes(agents[callAgents + k]!.phone)) dialsToReserved++;
    }

    // Invariants, on the database.
    const one = async (text: string, values: unknown[] = []) => (await db.query(text, values)).rows[0];
    const ids = calls.map((call) => call.id);
    const ended = await one(
      `select count(*) filter (where status = 'completed' and outcome = 'answered' and not abandoned
                                 and status_sequence = 3 and answered_at is not null and ended_at is not null)::int as completed,
              count(*) filter (where talk_seconds = (x.talk)::int)::int as talk
       from ${s}.calls c join jsonb_to_recordset($1::jsonb) as x(id uuid, talk int) on x.id = c.id`,
      [JSON.stringify(calls.map((call) => ({ id: call.id, talk: call.talkSeconds })))],
    );
    const leads = await one(
      `select count(*) filter (where l.calls_answered = 1 and l.call_status = 'completed' and l.last_contact_at is not null)::int as n
       from ${s}.calls c join ${s}.leads l on l.id = c.lead_id where c.id = any($1::uuid[])`,
      [ids],
    );
    const entries = await one(
      `select count(*) filter (where q.status = 'connected')::int as n
       from ${s}.calls c join ${s}.call_queue q on q.id = c.queue_entry_id where c.id = any($1::uuid[])`,
      [ids],
    );
    const timeline = await one(
      `select count(distinct (a.data->>'callId'))::int as n from ${s}.lead_activities a
       where a.kind = 'call' and (a.data->>'callId')::uuid = any($1::uuid[])`,
      [ids],
    ).catch((error: Error) => ({ n: -1, error: error.message }));
    const bridged = await one(
      `select count(*) filter (where c.status = 'ringing' and not c.abandoned and c.answered_by = 'human'
                                 and c.agent_id = any(c.tried_agent_ids) and cardinality(c.tried_agent_ids) = 1)::int as n
       from ${s}.calls c where c.id = any($1::uuid[])`,
      [answerCalls.map((call) => call.id)],
    );
    const jobs = await one(`select count(*)::int as n from platform.jobs where kind = 'dialer.tick'`);

    const anchorRate = (describeRow(before).rate + describeRow(after).rate) / 2;
    const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
    console.log(`\nMachine: ${machine}`);
    console.log(
      `Server in its own process (ROLE=web, DB_POOL_MAX ${process.env.DB_POOL_MAX ?? '16'}), ${concurrency} requests in flight, keep-alive node:http client; ` +
        `${callAgents + answers} agents, ${leadCount.toLocaleString('en')} leads, calls seeded in ${seedSeconds.toFixed(0)} s\n`,
    );
    console.log('| Request | requests | req/s | p50 | p95 | p99 | non-2xx |');
    console.log('|---|---|---|---|---|---|---|');
    for (const row of [before, statusRow, after]) {
      const d = describeRow(row);
      console.log(
        `| ${row.name} | ${row.requests.toLocaleString('en')} | ${Math.round(d.rate).toLocaleString('en')} | ${fmt(d.p50)} | ${fmt(d.p95)} | ${fmt(d.p99)} | ${row.bad} |`,
      );
    }
    const statusRate = describeRow(statusRow).rate;
    console.log(
      `\nStatus callbacks: ${Math.round(statusRate).toLocaleString('en')}/s, ${((statusRate / anchorRate) * 100).toFixed(1)} % of the anchor ` +
        `(mean of before and after, ${Math.round(anchorRate).toLocaleString('en')} req/s); ${(statusRate / 4).toFixed(0)} calls/s.`,
    );
    console.log(
      `CPU per request: GET / ${formatCpu(anchorCpuBefore)}; status callback ${formatCpu(callbackCpu)}.`,
    );

    console.log(`\n${answers} answered calls, one at a time, each after a GET /:\n`);
    console.log('| Request | samples | p50 | p95 | p99 | p50 / anchor p50 | p99 / anchor p99 | bad |');
    console.log('|---|---|---|---|---|---|---|---|');
    const anchorLatency = describeRow(answerAnchor);
    for (const row of [answerAnchor, answerRow]) {
      const d = describeRow(row);
      console.log(
        `| ${row.name} | ${row.requests} | ${fmt(d.p50)} | ${fmt(d.p95)} | ${fmt(d.p99)} | ${(d.p50 / anchorLatency.p50).toFixed(1)}× | ${(d.p99 / anchorLatency.p99).toFixed(1)}× | ${row.bad} |`,
      );
    }
    console.log();

    const invariants: Record<string, boolean> = {
      'every status callback answered 204': statusRow.bad === 0 && statusRow.requests === callbacks,
      'every call completed as sent (status, outcome answered, sequence 3, instants)':
        ended.completed === totalCalls,
      'every call keeps the talk time sent (CallDuration)': ended.talk === totalCalls,
      "every lead counted one answered call, shows 'completed', has a last contact": leads.n === totalCalls,
      'every queue entry moved on to connected': entries.n === totalCalls,
      "one 'call' timeline entry per call": timeline.n === totalCalls,
      'dialer ticks queued, one per second at most':
        jobs.n >= 1 && jobs.n <= Math.ceil(statusRow.seconds) + 60,
      'every answer webhook answered 200 with a <Dial>': answerRow.bad === 0,
      'every <Dial> to the call’s reserved salesperson, none abandoned':
        dialsToReserved === answers && bridged.n === answers,
      'GET / always 200': before.bad + after.bad + answerAnchor.bad === 0,
    };
    for (const [name, ok] of Object.entries(invariants)) console.log(`${ok ? 'OK  ' : 'FAIL'} ${name}`);
    if (Object.values(invariants).includes(false)) {
      console.log(JSON.stringify({ ended, leads, entries, timeline, bridged, jobs, dialsToReserved }));
      process.exitCode = 1;
    }
  } finally {
    await db.end().catch(() => undefined);
    await server.stop();
  }
}

await main();
