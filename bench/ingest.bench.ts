/**
 * pnpm bench:ingest — POST /api/crm/leads with smart assignment over 10 agents, 64
 * connections, against a bare GET / and an ingest without assignment measured in the same
 * run; the assignment invariants are checked on the database afterwards.
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { startBenchServer } from './bench-server.js';
import { formatCpu } from './lib/cpu.js';
import { printLoadReport } from './lib/report.js';

const connections = 64;
const duration = Number(process.env.BENCH_SECONDS ?? 20);

async function main(): Promise<void> {
  const server = await startBenchServer({ DB_POOL_MAX: process.env.DB_POOL_MAX ?? '16' });
  try {
    const tenant = await server.createTenant('benchingest', { defaultCountry: 'US' });
    for (let i = 0; i < 10; i++) {
      await fetch(`${server.baseUrl}/api/crm/agents`, {
        method: 'POST',
        headers: tenant.headers,
        body: JSON.stringify({ name: `Agent ${i}` }),
      });
    }
    let sent = 0;
    const ingest = (extra: Record<string, unknown>) =>
      autocannon({
        url: `${server.baseUrl}/api/crm/leads`,
        connections,
        duration,
        requests: [
          {
            method: 'POST',
            headers: tenant.headers,
            setupRequest: (request) => {
              const n = sent++;
              const body = {
                name: `Bench Lead ${n}`,
                phone: `+1415${String(2_000_000 + n)}`,
                email: `lead${n}@example.com`,
                source: n % 3 ? 'website' : 'referral',
                city: 'San Francisco',
                state: 'CA',
                ...extra,
              };
              return { ...request, body: JSON.stringify(body) };
            },
          },
        ],
      });

    await autocannon({ url: `${server.baseUrl}/`, connections, duration: 3 }); // warm-up
    // CPU per request of the server, Postgres and autocannon: where the two cores go.
    const measured = async (run: () => Promise<autocannon.Result>) => {
      const cpuPerRequest = server.measureCpu();
      const result = await run();
      return { result, cpu: cpuPerRequest(result.requests.total) };
    };
    const anchor = await measured(() => autocannon({ url: `${server.baseUrl}/`, connections, duration }));
    const unassigned = await measured(() => ingest({ assign: false }));
    const assigned = await measured(() => ingest({}));

    const client = new pg.Client({ connectionString: server.database.url });
    await client.connect();
    const query = async (text: string) =>
      (await client.query(text.replaceAll('%s', `"${tenant.schema}"`))).rows as Record<string, number>[];
    // Requests still in flight when autocannon stops commit afterwards (tickets taken in order
    // commit out of order): check the settled state, not a snapshot in the middle of them.
    for (let previous = -1; ; await new Promise((resolve) => setTimeout(resolve, 500))) {
      const [{ n }] = (await query('select count(*)::int as n from %s.leads')) as [{ n: number }];
      if (n === previous) break;
      previous = n;
    }
    const [totals] = await query(`select count(*)::int as leads, count(distinct phone)::int as phones,
      count(*) filter (where unassigned_reason is distinct from 'assignment_skipped')::int as routed,
      count(*) filter (where assigned_agent_id is null
        and unassigned_reason is distinct from 'assignment_skipped')::int as lost from %s.leads`);
    const perAgent = await query(`select a.assigned_today, count(l.id)::int as leads
      from %s.agents a left join %s.leads l on l.assigned_agent_id = a.id group by a.id`);
    await client.end();
    const { leads, phones, routed, lost } = totals!;
    const counts = perAgent.map((row) => row.leads!).sort((x, y) => x - y);
    const spread = counts.at(-1)! - counts[0]!;
    const invariants = {
      // Requests in flight when the clock stops may be stored without being counted.
      'every 201 stored, nothing beyond what was sent':
        leads! >= unassigned.result['2xx'] + assigned.result['2xx'] && leads! <= sent,
      'no duplicate phone': phones === leads,
      'no routed lead left unassigned': lost === 0,
      'round-robin spread <= 1': spread <= 1,
      "agents' daily counters = their leads": perAgent.every((row) => row.assigned_today === row.leads),
    };

    printLoadReport({
      connections,
      durationSeconds: duration,
      rows: [
        ['GET / (anchor)', anchor.result],
        ['POST /api/crm/leads, assign=false', unassigned.result],
        ['POST /api/crm/leads, round robin over 10 agents', assigned.result],
      ],
      invariants,
    });
    console.log(
      `CPU per request: GET / ${formatCpu(anchor.cpu)}; assign=false ${formatCpu(unassigned.cpu)}; ` +
        `round robin ${formatCpu(assigned.cpu)}`,
    );
    console.log(`Routed leads: ${routed}, per agent: ${counts.join(', ')} (spread ${spread})`);
  } finally {
    await server.stop();
  }
}

await main();
