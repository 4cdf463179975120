/**
 * pnpm bench:deals — the deal board and a filtered deals list over 100,000 deals of one tenant,
 * through the HTTP API, one request at a time → p50/p95 per shape, against GET / in the same run
 * (the bench:search method).
 */
import { cpus } from 'node:os';
import pg from 'pg';
import { startBenchServer } from './bench-server.js';
import { latencyRows, timedGet, printLatencyTable } from './lib/latency.js';
import { createAgents, pick, sqlTextArray } from './lib/seeding.js';

const totalDeals = Number(process.env.BENCH_DEALS ?? 100_000);
const samples = Number(process.env.BENCH_SAMPLES ?? 100);
const pipelineCount = 4;
const stagesPerPipeline = 6;
const currencies = ['EUR', 'USD', 'INR', 'GBP'];

const array = sqlTextArray;

async function main(): Promise<void> {
  const server = await startBenchServer();
  const client = new pg.Client({ connectionString: server.database.url });
  try {
    const tenant = await server.createTenant('benchdeals', { defaultCountry: 'IN' });
    const agentIds = await createAgents(server, tenant, 20);
    await client.connect();
    const schema = `"${tenant.schema}"`;
    const pipelineIds: string[] = [];
    const stageIds: string[][] = [];
    for (let p = 0; p < pipelineCount; p++) {
      const { rows } = await client.query<{ id: string }>(
        `insert into ${schema}.pipelines (kind, name, is_default) values ('deal', $1, $2) returning id`,
        [`Pipeline ${p}`, p === 0],
      );
      pipelineIds.push(rows[0]!.id);
      const stages = await client.query<{ id: string }>(
        `insert into ${schema}.pipeline_stages (pipeline_id, position, name, probability, rotting_days, outcome)
         select $1, s, 'Stage ' || s, s * 15, case when s % 2 = 0 then 14 end,
           case when s = ${stagesPerPipeline - 1} then 'won' when s = ${stagesPerPipeline} then 'lost' end
         from generate_series(1, ${stagesPerPipeline}) s order by s returning id`,
        [rows[0]!.id],
      );
      stageIds.push(stages.rows.map((row) => row.id));
    }
    const allStages = stageIds.flat();
    const loadStart = performance.now();
    // Deal i: pipeline i % 4, a stage of it, an owner, a currency, an amount, dates (some rotting).
    await client.query(
      `insert into ${schema}.deals (title, pipeline_id, stage_id, owner_agent_id, amount, currency,
         expected_close_date, status, tags, stage_entered_at, last_activity_at, created_at, updated_at)
       select 'Deal ' || i,
         (${array(pipelineIds)}::uuid[])[1 + i % ${pipelineCount}],
         (${array(allStages)}::uuid[])[1 + (i % ${pipelineCount}) * ${stagesPerPipeline} + (abs(hashint4(i + 1)) % ${stagesPerPipeline})::int],
         (${array(agentIds)}::uuid[])[1 + (abs(hashint4(i + 2)) % ${agentIds.length})::int],
         (abs(hashint4(i + 3)) % 1000000)::bigint,
         ${array(currencies)}[1 + (abs(hashint4(i + 4)) % ${currencies.length})::int],
         case when i % 5 <> 0 then current_date + (abs(hashint4(i + 5)) % 180 - 30) end,
         'open',
         case when i % 10 = 0 then '{enterprise}'::text[] else '{}'::text[] end,
         now() - (abs(hashint4(i + 6)) % 60) * interval '1 day',
         now() - (abs(hashint4(i + 7)) % 60) * interval '1 day',
         now() - (i % 365) * interval '1 day' - (i::bigint * 7919 % 86400) * interval '1 second',
         now() - (i % 200) * interval '1 day'
       from generate_series(1, ${totalDeals}) i`,
    );
    await client.query(`vacuum (analyze) ${schema}.deals`);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    console.error(`loaded ${totalDeals} deals in ${loadSeconds.toFixed(0)} s`);

    const time = timedGet(server.baseUrl, tenant.headers);
    const shapes: Record<string, () => string> = {
      'GET / (anchor)': () => '/',
      'board: one pipeline, 20 per stage': () => `/api/crm/pipelines/${pick(pipelineIds)}/board?limit=20`,
      'board: one pipeline, 100 per stage': () => `/api/crm/pipelines/${pick(pipelineIds)}/board?limit=100`,
      'list: pipeline + owner + amount range, by amount': () => {
        const min = Math.floor(Math.random() * 500_000);
        return `/api/crm/deals?pipelineId=${pick(pipelineIds)}&ownerId=${pick(agentIds)}&amountMin=${min}&amountMax=${min + 300_000}&sort=amount&order=desc`;
      },
      'list: pipeline + rotting, newest first': () =>
        `/api/crm/deals?pipelineId=${pick(pipelineIds)}&rotting=true`,
      'list: stage + tag, by expected close': () =>
        `/api/crm/deals?stageId=${pick(allStages)}&tag=enterprise&sort=expectedCloseDate&order=asc`,
    };
    const results = await latencyRows(
      shapes,
      time,
      samples,
      (body) =>
        body.data?.total ??
        (body.data?.stages ?? []).reduce((sum: number, stage: { count: number }) => sum + stage.count, 0),
    );

    console.log(
      `\nMachine: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.versions.node}, Postgres server`,
    );
    console.log(
      `${totalDeals.toLocaleString('en')} deals in one tenant (${pipelineCount} pipelines × ${stagesPerPipeline} stages, 20 owners, ${currencies.length} currencies), loaded in ${loadSeconds.toFixed(0)} s; ${samples} sequential requests per row, page size 50, total included\n`,
    );
    printLatencyTable('avg total / board count', results);
  } finally {
    await client.end().catch(() => undefined);
    await server.stop();
  }
}

await main();
