/**
 * pnpm bench:auth — staff logins (issue 17): the time of one login at the chosen Argon2
 * parameters (sequential, then a few at once), and an authenticated `GET /api/crm/leads` with a
 * user's bearer token against the same with the tenant's API key, 64 connections, the two
 * alternated twice in one run. The API key is the anchor: the goal is a token path costing no
 * more than 10 % extra.
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { argon2Parameters, hashPassword, verifyPassword } from '../src/staff/passwords.js';
import { startBenchServer } from './bench-server.js';
import { formatCpu } from './lib/cpu.js';
import { printLoadReport } from './lib/report.js';

const connections = 64;
const duration = Number(process.env.BENCH_SECONDS ?? 12);
const sequentialLogins = 40;
const concurrentRounds = 8;
const concurrency = 4;
const password = 'bench password that is long enough';

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const ms = (value: number) => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  const server = await startBenchServer({ DB_POOL_MAX: process.env.DB_POOL_MAX ?? '16' });
  try {
    const code = 'benchauth';
    const tenant = await server.createTenant(code, { defaultCountry: 'US' });
    // 100 leads, so the list reads a full page.
    for (let i = 0; i < 100; i++) {
      await fetch(`${server.baseUrl}/api/crm/leads`, {
        method: 'POST',
        headers: tenant.headers,
        body: JSON.stringify({ name: `Lead ${i}`, phone: `+1415${2_000_000 + i}`, assign: false }),
      });
    }
    // An admin user straight into the schema (the users API is not what this measures).
    const client = new pg.Client({ connectionString: server.database.url });
    await client.connect();
    const email = 'bench-admin@example.test';
    await client.query(
      `insert into "${tenant.schema}".users (email, name, role_id, status, password_hash, password_changed_at)
       select $1, 'Bench Admin', id, 'active', $2, now() from "${tenant.schema}".roles where key = 'admin'`,
      [email, await hashPassword(password)],
    );
    await client.end();

    const logIn = async () => {
      const started = performance.now();
      const response = await fetch(`${server.baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientCode: code, email, password }),
      });
      const body = (await response.json()) as any;
      if (response.status !== 200) throw new Error(`login failed: ${JSON.stringify(body)}`);
      return { ms: performance.now() - started, accessToken: body.data.accessToken as string };
    };
    // The hash alone, in this process: what Argon2 itself costs at these parameters.
    const stored = await hashPassword(password);
    const verifyTimes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await verifyPassword(stored, password);
      verifyTimes.push(performance.now() - started);
    }
    await logIn(); // warm-up
    const sequential: number[] = [];
    for (let i = 0; i < sequentialLogins; i++) sequential.push((await logIn()).ms);
    const concurrent: number[] = [];
    for (let round = 0; round < concurrentRounds; round++) {
      const answers = await Promise.all(Array.from({ length: concurrency }, logIn));
      concurrent.push(...answers.map((answer) => answer.ms));
    }
    const { accessToken } = await logIn();

    const list = (headers: Record<string, string>) =>
      autocannon({ url: `${server.baseUrl}/api/crm/leads`, connections, duration, headers });
    const keyHeaders = {
      'x-client-code': tenant.headers['x-client-code']!,
      'x-api-key': tenant.headers['x-api-key']!,
    };
    const tokenHeaders = { authorization: `Bearer ${accessToken}` };
    await autocannon({
      url: `${server.baseUrl}/api/crm/leads`,
      connections,
      duration: 3,
      headers: keyHeaders,
    }); // warm-up
    await autocannon({
      url: `${server.baseUrl}/api/crm/leads`,
      connections,
      duration: 3,
      headers: tokenHeaders,
    });
    const measured = async (headers: Record<string, string>) => {
      const cpuPerRequest = server.measureCpu();
      const result = await list(headers);
      return { result, cpu: cpuPerRequest(result.requests.total) };
    };
    // Key, token, key, token, key: the host's drift (warming up, neighbours) weighs on both sides alike.
    const runs: { name: string; token: boolean; run: Awaited<ReturnType<typeof measured>> }[] = [];
    for (const token of [false, true, false, true, false]) {
      runs.push({
        name: token ? 'bearer token' : 'API key',
        token,
        run: await measured(token ? tokenHeaders : keyHeaders),
      });
    }

    printLoadReport({
      connections,
      durationSeconds: duration,
      rows: runs.map(({ name, run }, index) => [
        `GET /api/crm/leads, ${name}${index === 0 ? ' (anchor)' : ''}`,
        run.result,
      ]),
      // Timeouts on an overloaded host are counted in the errors column, not refused answers.
      invariants: { 'no non-2xx answer': runs.every(({ run }) => run.result.non2xx === 0) },
    });
    const mean = (token: boolean, of: (run: (typeof runs)[number]['run']) => number) => {
      const picked = runs.filter((entry) => entry.token === token).map((entry) => of(entry.run));
      return picked.reduce((sum, value) => sum + value, 0) / picked.length;
    };
    const rate = (run: (typeof runs)[number]['run']) => run.result.requests.average;
    const cpu = (run: (typeof runs)[number]['run']) => run.cpu.server + run.cpu.postgres;
    const serverCpu = (run: (typeof runs)[number]['run']) => run.cpu.server;
    console.log(
      `\nBearer token against API key (means of their rows): throughput ${((mean(true, rate) / mean(false, rate)) * 100).toFixed(1)} %, ` +
        `server CPU per request ${((mean(true, serverCpu) / mean(false, serverCpu)) * 100).toFixed(1)} %, ` +
        `server + Postgres CPU per request ${((mean(true, cpu) / mean(false, cpu)) * 100).toFixed(1)} % (goal: at most 110 %)`,
    );
    for (const { name, run } of runs) console.log(`CPU per request, ${name}: ${formatCpu(run.cpu)}`);
    const { memoryCost, timeCost, parallelism } = argon2Parameters;
    console.log(`\nLogin, Argon2id m=${memoryCost} KiB, t=${timeCost}, p=${parallelism}:`);
    console.log(`| Measure | p50 | p95 |`);
    console.log(`|---|---|---|`);
    console.log(
      `| Argon2 verify alone (in-process, 20) | ${ms(percentile(verifyTimes, 50))} | ${ms(percentile(verifyTimes, 95))} |`,
    );
    console.log(
      `| POST /api/auth/login, sequential (${sequentialLogins}) | ${ms(percentile(sequential, 50))} | ${ms(percentile(sequential, 95))} |`,
    );
    console.log(
      `| POST /api/auth/login, ${concurrency} at once (${concurrentRounds} rounds) | ${ms(percentile(concurrent, 50))} | ${ms(percentile(concurrent, 95))} |`,
    );
  } finally {
    await server.stop();
  }
}

await main();
