/**
 * pnpm bench:automations — POST /api/automations/events (form_submitted, createLeadIfMissing
 * with round-robin assignment over 10 agents, a rule that tags and notes, and a cascaded
 * tag_added rule that changes the score: one transaction per event) and duplicate eventIds
 * replayed, against the CRM's own POST /api/crm/leads (same assignment) measured in the same
 * run. Invariants are checked on the database afterwards.
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { webFormRules } from '../src/testing/example-rule.js';
import { startBenchServer } from './bench-server.js';
import { formatCpu } from './lib/cpu.js';
import { printLoadReport } from './lib/report.js';

const connections = 64;
const duration = Number(process.env.BENCH_SECONDS ?? 20);

async function main(): Promise<void> {
  const server = await startBenchServer({ DB_POOL_MAX: process.env.DB_POOL_MAX ?? '16' });
  try {
    const tenant = await server.createTenant('benchauto', { defaultCountry: 'US' });
    const post = (path: string, body: unknown) =>
      fetch(`${server.baseUrl}${path}`, {
        method: 'POST',
        headers: tenant.headers,
        body: JSON.stringify(body),
      });
    for (let i = 0; i < 10; i++) await post('/api/crm/agents', { name: `Agent ${i}` });
    for (const rule of webFormRules) await post('/api/automations/rules', rule);

    let sent = 0;
    const body = (n: number, eventId?: string) =>
      JSON.stringify({
        trigger: 'form_submitted',
        phone: `+1415${String(2_000_000 + n)}`,
        createLeadIfMissing: true,
        leadData: { firstName: `Bench ${n}`, source: 'website' },
        variables: { formName: 'contact' },
        ...(eventId ? { eventId } : {}),
      });
    const run = (url: string, next: () => string) =>
      autocannon({
        url: `${server.baseUrl}${url}`,
        connections,
        duration,
        requests: [
          {
            method: 'POST',
            headers: tenant.headers,
            setupRequest: (request) => ({ ...request, body: next() }),
          },
        ],
      });

    // CPU per request of the server, Postgres and autocannon: where the two cores go.
    const measured = async (go: () => Promise<autocannon.Result>) => {
      const cpuPerRequest = server.measureCpu();
      const result = await go();
      return { result, cpu: cpuPerRequest(result.requests.total) };
    };
    const { result: anchor, cpu: anchorCpu } = await measured(() =>
      run('/api/crm/leads', () => {
        const n = 5_000_000 + sent++;
        return JSON.stringify({
          name: `Lead ${n}`,
          phone: `+1415${String(2_000_000 + n)}`,
          source: 'website',
        });
      }),
    );
    let events = 0;
    const { result: fresh, cpu: freshCpu } = await measured(() =>
      run('/api/automations/events', () => body(events++, `evt-${events}`)),
    );
    const client = new pg.Client({ connectionString: server.database.url });
    await client.connect();
    const query = async (text: string) =>
      (await client.query(text.replaceAll('%s', `"${tenant.schema}"`))).rows[0] as Record<string, number>;
    const countEvents = async () => (await query('select count(*)::int as n from %s.automation_events')).n!;
    // autocannon stops counting with requests in flight: let the server finish them.
    let beforeReplays = await countEvents();
    for (let settled = -1; settled !== beforeReplays;) {
      settled = beforeReplays;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      beforeReplays = await countEvents();
    }
    const replayed = 200;
    let replays = 0;
    const duplicates = await run('/api/automations/events', () => {
      const n = replays++ % replayed;
      return body(n, `evt-${n + 1}`);
    });

    const afterReplays = await countEvents();
    const eventRows = await query(`select count(*)::int as events,
      count(*) filter (where result is null)::int as unanswered from %s.automation_events`);
    const runs = await query(`select count(*) filter (where rule_name = 'Web forms')::int as web,
      count(*) filter (where rule_name = 'Tagged')::int as tagged,
      count(*) filter (where status <> 'succeeded')::int as failed from %s.automation_runs`);
    const leads = await query(`select count(*)::int as leads,
      count(*) filter (where 'web-form' = any(tags))::int as tagged,
      count(*) filter (where assigned_agent_id is null)::int as unassigned from %s.leads
      where first_name like 'Bench %'`);
    const notes = await query(`select count(*)::int as notes from %s.lead_notes`);
    await client.end();

    const invariants = {
      'every 202 recorded once, none beyond what was sent':
        eventRows.events! >= fresh['2xx'] && eventRows.events! <= events,
      'replays added no event': afterReplays === beforeReplays,
      'every event answered (result stored in its transaction)': eventRows.unanswered === 0,
      'one run per rule per event, none failed':
        runs.web === eventRows.events && runs.tagged === eventRows.events && runs.failed === 0,
      'one lead per event, tagged and assigned':
        leads.leads === eventRows.events && leads.tagged === leads.leads && leads.unassigned === 0,
      'one note per event': notes.notes === eventRows.events,
      'no errors': fresh.non2xx + fresh.errors + duplicates.non2xx + duplicates.errors === 0,
    };
    console.log(
      `Events stored: ${eventRows.events}, runs: ${runs.web} + ${runs.tagged}, notes: ${notes.notes}`,
    );
    console.log(`CPU per request: anchor ${formatCpu(anchorCpu)}; new event ${formatCpu(freshCpu)}`);
    printLoadReport({
      connections,
      durationSeconds: duration,
      rows: [
        ['POST /api/crm/leads, round robin over 10 agents (anchor)', anchor],
        ['POST /api/automations/events, new lead + 2 rules (3 actions, 1 cascade)', fresh],
        [`POST /api/automations/events, duplicate eventId (${replayed} ids replayed)`, duplicates],
      ],
      invariants,
    });
  } finally {
    await server.stop();
  }
}

await main();
