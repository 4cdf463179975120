/**
 * pnpm bench:ingest — POST /api/crm/leads with smart assignment over 10 agents, 64
 * connections, against a bare GET / measured in the same run; invariants checked after.
 */
import autocannon, { type Result } from 'autocannon';
import { cpus } from 'node:os';
import pg from 'pg';
import { startBenchServer } from './bench-server.js';

const connections = 64;
const duration = Number(process.env.BENCH_SECONDS ?? 20);

const line = (name: string, result: Result) =>
  `| ${name} | ${Math.round(result.requests.average).toLocaleString('en')} | ${result.latency.p50} ms | ${result.latency.p99} ms | ${result['2xx']} | ${result.non2xx + result.errors} |`;

async function main(): Promise<void> {
  const server = await startBenchServer({ DB_POOL_MAX: process.env.DB_POOL_MAX ?? '16' });
  try {
    const tenant = await server.createTenant('benchingest', { defaultCountry: 'US' });
    const agentIds: string[] = [];
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${server.baseUrl}/api/crm/agents`, {
        method: 'POST',
        headers: tenant.headers,
        body: JSON.stringify({ name: `Agent ${i}` }),
      });
      agentIds.push(((await response.json()) as any).data.id);
    }
    // Warm-up: JIT, tenant handle, pool.
    await autocannon({ url: `${server.baseUrl}/`, connections, duration: 3 });

    const anchor = await autocannon({ url: `${server.baseUrl}/`, connections, duration });
    let counter = 0;
    const ingest = await autocannon({
      url: `${server.baseUrl}/api/crm/leads`,
      connections,
      duration,
      requests: [
        {
          method: 'POST',
          headers: tenant.headers,
          setupRequest: (request) => {
            const n = counter++;
            return {
              ...request,
              body: JSON.stringify({
                name: `Bench Lead ${n}`,
                phone: `+1415${String(2_000_000 + n)}`,
                email: `lead${n}@example.com`,
                source: n % 3 ? 'website' : 'referral',
                city: 'San Francisco',
                state: 'CA',
              }),
            };
          },
        },
      ],
    });

    const client = new pg.Client({ connectionString: server.database.url });
    await client.connect();
    const leads = sql(client, tenant.schema);
    const totals = await leads(`select count(*)::int as leads, count(distinct phone)::int as phones,
      count(*) filter (where assigned_agent_id is null)::int as unassigned from %s.leads`);
    const perAgent = await leads(`select a.id, a.assigned_today, count(l.id)::int as leads
      from %s.agents a left join %s.leads l on l.assigned_agent_id = a.id group by a.id`);
    await client.end();
    const counts = perAgent.map((row) => row.leads as number);
    const spread = Math.max(...counts) - Math.min(...counts);
    const { leads: stored, phones, unassigned } = totals[0]!;
    const invariants = {
      // Requests still in flight when the clock stops may be stored without being counted.
      'every 201 stored, nothing beyond what was sent': stored >= ingest['2xx'] && stored <= counter,
      'no duplicate phone': phones === stored,
      'none unassigned': unassigned === 0,
      'round-robin spread ≤ 1': spread <= 1,
      "agents' counters = their leads": perAgent.every((row) => row.assigned_today === row.leads),
    };

    console.log(
      `\nMachine: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.versions.node}, Postgres server`,
    );
    console.log(`${connections} connections, ${duration} s each\n`);
    console.log('| Endpoint | req/s | p50 | p99 | 2xx | errors/non-2xx |');
    console.log('|---|---|---|---|---|---|');
    console.log(line('GET / (anchor)', anchor));
    console.log(line('POST /api/crm/leads (assign over 10 agents)', ingest));
    console.log(
      `\nRatio: ingest = ${((ingest.requests.average / anchor.requests.average) * 100).toFixed(1)} % of the anchor's throughput`,
    );
    console.log(
      `Leads stored: ${stored}, per agent: ${counts.sort((x, y) => x - y).join(', ')} (spread ${spread})`,
    );
    for (const [name, ok] of Object.entries(invariants)) console.log(`${ok ? 'OK  ' : 'FAIL'} ${name}`);
    if (Object.values(invariants).includes(false)) process.exitCode = 1;
  } finally {
    await server.stop();
  }
}

/** Runs a query with `%s` replaced by the quoted tenant schema. */
function sql(client: pg.Client, schema: string) {
  return async (text: string) =>
    (await client.query(text.replaceAll('%s', `"${schema}"`))).rows as Record<string, unknown>[];
}

await main();
