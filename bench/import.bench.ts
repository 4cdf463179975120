/**
 * pnpm bench:import — a generated 100,000-row CSV (1 % invalid phones, 1 % phones repeated
 * within the file) uploaded to POST /api/crm/leads/import on the local Postgres server and
 * followed at GET /api/crm/imports/:id until done, without and with assignment (10 agents).
 * Measures rows/s, total time and the server's peak RSS growth (sampled at
 * /api/platform/stats). Anchor, same run: the same rows inserted as plain multi-row INSERTs
 * of 1,000 rows into a scratch table.
 */
import { loadavg } from 'node:os';
import pg from 'pg';
import { startBenchServer, type BenchServer } from './bench-server.js';
import { formatCpu, type CpuPerRequest } from './lib/cpu.js';
import { describeMachine } from './lib/machine.js';

const rows = Number(process.env.BENCH_ROWS ?? 100_000);
/** Assignment costs a few statements per lead: a smaller file keeps the run short. */
const assignRows = Number(process.env.BENCH_ASSIGN_ROWS ?? 5_000);

function generateCsv(count: number): { csv: Buffer; phones: string[]; invalid: number; repeated: number } {
  const lines = ['Full Name,Mobile,Email,City,Source'];
  const phones: string[] = [];
  let invalid = 0;
  let repeated = 0;
  for (let i = 0; i < count; i++) {
    let phone = `9${String(100_000_000 + i)}`;
    if (i % 100 === 37) {
      phone = `12${i % 1000}`;
      invalid++;
    } else if (i % 100 === 73) {
      phone = `9${String(100_000_000 + i - 1)}`;
      repeated++;
    }
    phones.push(phone);
    lines.push(`"Lead ${i}, Bench",${phone},lead${i}@example.com,Pune,${i % 3 ? 'website' : 'referral'}`);
  }
  return { csv: Buffer.from(lines.join('\n') + '\n'), phones, invalid, repeated };
}

async function json(url: string, init: RequestInit = {}): Promise<any> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json() };
}

interface RunResult {
  seconds: number;
  rssBaseMiB: number;
  rssPeakMiB: number;
  result: { total: number; created: number; duplicates: number; failed: number; status: string };
  /** Per row; "load generator" is this process (upload and polling). */
  cpu: CpuPerRequest;
}

async function runImport(
  server: BenchServer,
  code: string,
  csv: Buffer,
  assign: boolean,
): Promise<RunResult> {
  const tenant = await server.createTenant(code, { defaultCountry: 'IN' });
  if (assign) {
    for (let i = 0; i < 10; i++) {
      await fetch(`${server.baseUrl}/api/crm/agents`, {
        method: 'POST',
        headers: tenant.headers,
        body: JSON.stringify({ name: `Agent ${i}` }),
      });
    }
  }
  const rss = async () =>
    (await json(`${server.baseUrl}/api/platform/stats`, { headers: server.adminHeaders })).body.data.process
      .rssBytes as number;
  const base = await rss();
  let peak = base;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await rss());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  const started = performance.now();
  const cpuPerRow = server.measureCpu();
  const accepted = await json(`${server.baseUrl}/api/crm/leads/import?assign=${assign}`, {
    method: 'POST',
    headers: { ...tenant.headers, 'content-type': 'text/csv' },
    body: csv,
  });
  if (accepted.status !== 202) throw new Error(`import refused: ${JSON.stringify(accepted.body)}`);
  let state: RunResult['result'];
  for (;;) {
    state = (
      await json(`${server.baseUrl}/api/crm/imports/${accepted.body.data.id}`, { headers: tenant.headers })
    ).body.data;
    if (state.status === 'completed' || state.status === 'failed') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  sampling = false;
  await sampler;
  const cpu = cpuPerRow(state.total);
  return { seconds, rssBaseMiB: base / 2 ** 20, rssPeakMiB: peak / 2 ** 20, result: state, cpu };
}

/** The anchor: the same rows as multi-row INSERTs of 1,000 into a scratch table, one connection. */
async function plainInsert(databaseUrl: string, phones: string[]): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      'create table bench_import_scratch (first_name text, last_name text, phone text, email text, city text, source text)',
    );
    const started = performance.now();
    for (let offset = 0; offset < phones.length; offset += 1000) {
      const values: string[] = [];
      const params: string[] = [];
      phones.slice(offset, offset + 1000).forEach((phone, j) => {
        const i = offset + j;
        const p = params.length;
        values.push(`($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, $${p + 5}, $${p + 6})`);
        params.push(
          `Lead ${i},`,
          'Bench',
          phone,
          `lead${i}@example.com`,
          'Pune',
          i % 3 ? 'website' : 'referral',
        );
      });
      await client.query(
        `insert into bench_import_scratch (first_name, last_name, phone, email, city, source) values ${values.join(', ')}`,
        params,
      );
    }
    return (performance.now() - started) / 1000;
  } finally {
    await client.query('drop table if exists bench_import_scratch');
    await client.end();
  }
}

/**
 * The server's V8 heap limit. In a container Node sizes its heap from the memory limit; on this
 * 24 GiB machine it would pick about 4 GiB and let garbage pile up before collecting it, which
 * the RSS would count as growth. 512 MiB is what a 1–2 GiB instance runs with.
 */
const heapMb = process.env.BENCH_HEAP_MB ?? '512';

async function main(): Promise<void> {
  const server = await startBenchServer({
    DB_POOL_MAX: process.env.DB_POOL_MAX ?? '16',
    NODE_OPTIONS: `--max-old-space-size=${heapMb}`,
  });
  try {
    console.log(`\nMachine: ${await describeMachine(server.database.url)}`);
    console.log(`Server heap limit: --max-old-space-size=${heapMb} (BENCH_HEAP_MB)`);
    console.log(
      `Load average before: ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}`,
    );
    const file = generateCsv(rows);
    console.log(
      `File: ${rows.toLocaleString('en')} rows, ${(file.csv.length / 2 ** 20).toFixed(1)} MiB, ${file.invalid} invalid phones, ${file.repeated} repeated phones\n`,
    );
    const anchorSeconds = await plainInsert(server.database.url!, file.phones);
    console.log(
      '| Run | rows | time | rows/s | × anchor rows/s | RSS base → peak (growth) | created / duplicates / failed |',
    );
    console.log('|---|---|---|---|---|---|---|');
    const anchorRate = rows / anchorSeconds;
    console.log(
      `| plain multi-row INSERT into a scratch table (anchor) | ${rows} | ${anchorSeconds.toFixed(2)} s | ${Math.round(anchorRate).toLocaleString('en')} | 1 | – | – |`,
    );
    const cpuLines: string[] = [];
    const report = (
      name: string,
      count: number,
      expected: ReturnType<typeof generateCsv>,
      run: RunResult,
    ) => {
      const rate = count / run.seconds;
      console.log(
        `| ${name} | ${count} | ${run.seconds.toFixed(2)} s | ${Math.round(rate).toLocaleString('en')} | ${(rate / anchorRate).toFixed(3)} | ${run.rssBaseMiB.toFixed(0)} → ${run.rssPeakMiB.toFixed(0)} MiB (+${(run.rssPeakMiB - run.rssBaseMiB).toFixed(0)}) | ${run.result.created} / ${run.result.duplicates} / ${run.result.failed} |`,
      );
      const ok =
        run.result.status === 'completed' &&
        run.result.total === count &&
        run.result.created === count - expected.invalid - expected.repeated &&
        run.result.duplicates === expected.repeated &&
        run.result.failed === expected.invalid;
      cpuLines.push(
        `${name}: ${((run.seconds * 1000) / count).toFixed(3)} ms per row in wall time; CPU per row ${formatCpu(run.cpu)}`,
      );
      if (!ok) {
        console.log(`FAIL ${name}: counts do not match the generated file`);
        process.exitCode = 1;
      }
    };
    report('import, assign=false', rows, file, await runImport(server, 'benchimport', file.csv, false));
    const small = generateCsv(assignRows);
    report(
      'import, round robin over 10 agents',
      assignRows,
      small,
      await runImport(server, 'benchimportrr', small.csv, true),
    );
    console.log(`\n${cpuLines.join('\n')}`);
    console.log(
      `\nLoad average after: ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await server.stop();
  }
}

await main();
