/**
 * pnpm bench:dashboard — the dashboard endpoints (issue 20) over 100,000 leads and 100,000 deals
 * of one tenant, with their stage history, through the HTTP API, one request at a time, as the
 * tenant's API key and as an agent user (own scope: the visibility filter) → p50/p95/p99 per
 * endpoint, against GET / in the same run (the bench:search method).
 */
import { cpus } from 'node:os';
import pg from 'pg';
import { hashPassword } from '../src/staff/passwords.js';
import { startBenchServer } from './bench-server.js';
import { latencyRows, timedGet, printLatencyTable } from './lib/latency.js';
import { seedDashboardTenant } from './lib/dashboard-seed.js';
import { createAgents } from './lib/seeding.js';

const totalLeads = Number(process.env.BENCH_LEADS ?? 100_000);
const totalDeals = Number(process.env.BENCH_DEALS ?? 100_000);
const samples = Number(process.env.BENCH_SAMPLES ?? 100);
const agentCount = 20;
const password = 'bench dashboard password 42';

async function main(): Promise<void> {
  const server = await startBenchServer();
  const client = new pg.Client({ connectionString: server.database.url });
  try {
    const code = 'benchdash';
    const tenant = await server.createTenant(code, { defaultCountry: 'IN' });
    const agentIds = await createAgents(server, tenant, agentCount);
    await client.connect();
    const s = `"${tenant.schema}"`;
    const loadStart = performance.now();

    const { leadPipeline, counts } = await seedDashboardTenant(client, s, agentIds, totalLeads, totalDeals);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    console.error(`loaded ${JSON.stringify(counts)} in ${loadSeconds.toFixed(0)} s`);

    // An agent user (own scope) of the first agent, logged in.
    const email = 'bench-agent@example.test';
    await client.query(
      `insert into ${s}.users (email, name, role_id, status, password_hash, password_changed_at, agent_id)
       select $1, 'Bench Agent', id, 'active', $2, now(), $3 from ${s}.roles where key = 'agent'`,
      [email, await hashPassword(password), agentIds[0]],
    );
    const login = await fetch(`${server.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientCode: code, email, password }),
    });
    const session = (await login.json()) as any;
    if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(session)}`);
    const agentHeaders = { authorization: `Bearer ${session.data.accessToken}` };

    const endpoints: Record<string, string> = {
      'leads: new + conversion, 30d': '/api/crm/dashboard/leads?period=30d',
      'leads: new + conversion, this quarter': '/api/crm/dashboard/leads?period=this_quarter',
      'funnel: deal pipeline, 30d': '/api/crm/dashboard/funnel?period=30d',
      'funnel: lead pipeline, 30d': `/api/crm/dashboard/funnel?period=30d&pipelineId=${leadPipeline}`,
      'time in stage: deal pipeline, 30d': '/api/crm/dashboard/time-in-stage?period=30d',
      'time in stage: lead pipeline, 30d': `/api/crm/dashboard/time-in-stage?period=30d&pipelineId=${leadPipeline}`,
      'revenue won per owner, 30d': '/api/crm/dashboard/revenue?period=30d',
      'revenue won per owner, this quarter': '/api/crm/dashboard/revenue?period=this_quarter',
      'work: tasks, SLA met, signals, 30d': '/api/crm/dashboard/work?period=30d',
      'work: tasks, SLA met, signals, this quarter': '/api/crm/dashboard/work?period=this_quarter',
    };
    const counted = (body: any) => {
      const data = body.data ?? {};
      if (data.newLeads) return data.newLeads.value;
      if (data.owners) return data.owners.length;
      if (data.openTasks) return data.openTasks.value + data.overdueTasks.value + data.pendingSignals.value;
      return (data.stages ?? []).reduce(
        (sum: number, stage: any) => sum + (stage.entered?.value ?? stage.averageSeconds?.records.value ?? 0),
        0,
      );
    };
    const results: string[] = [];
    for (const [who, headers] of [
      ['API key (all)', tenant.headers],
      ['agent user (own scope)', agentHeaders],
    ] as const) {
      const shapes: Record<string, () => string> = { 'GET / (anchor)': () => '/' };
      for (const [name, path] of Object.entries(endpoints)) shapes[`${name} — ${who}`] = () => path;
      results.push(...(await latencyRows(shapes, timedGet(server.baseUrl, headers), samples, counted)));
    }

    console.log(
      `\nMachine: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.versions.node}, Postgres server`,
    );
    console.log(
      `${Number(counts.leads).toLocaleString('en')} leads and ${Number(counts.deals).toLocaleString('en')} deals in one tenant (${Number(counts.history).toLocaleString('en')} stage-history entries, ${Number(counts.tasks).toLocaleString('en')} tasks, ${Number(counts.signals).toLocaleString('en')} signals, ${agentCount} owners, 4 currencies), loaded in ${loadSeconds.toFixed(0)} s; ${samples} sequential requests per row\n`,
    );
    printLatencyTable('avg count', results);
  } finally {
    await client.end().catch(() => undefined);
    await server.stop();
  }
}

await main();
