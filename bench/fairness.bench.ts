/**
 * pnpm bench:fairness — another tenant's ingest while one tenant imports (issue 15). The server runs
 * as its own process on the embedded database (PGlite under a fresh DATA_DIR; `BENCH_DB=postgres`
 * for a fresh database of the Postgres server instead). Tenant B posts one lead at a time to
 * `POST /api/crm/leads` and `/health/live` is probed every 200 ms, first with nothing else running
 * (the anchor), then for as long as tenant A's background import of a junk file (`,x` rows: every
 * row fails validation) runs, then for a file of valid rows. Output: B's p50 / p95 / max and the
 * worst `/health/live` per phase, and B's p50 and p95 as a ratio to the idle ones measured in the
 * same run. Options: `BENCH_JUNK_ROWS` (300,000), `BENCH_VALID_ROWS` (20,000), `BENCH_IDLE_REQUESTS`
 * (300), `BENCH_DB` (`pglite`), `IMPORT_BATCH_ROWS` (the server's rows per import transaction).
 */
import { randomBytes } from 'node:crypto';
import { postgresAdminUrl } from '../src/testing/postgres-admin.js';
import { startServerProcess } from '../src/testing/server-process.js';
import { httpRequester } from '../src/testing/tenant-client.js';
import { createTestDatabase } from '../src/testing/test-database.js';
import { describeMachine } from './lib/machine.js';

const junkRows = Number(process.env.BENCH_JUNK_ROWS ?? 300_000);
const validRows = Number(process.env.BENCH_VALID_ROWS ?? 20_000);
const idleRequests = Number(process.env.BENCH_IDLE_REQUESTS ?? 300);
const kind = (process.env.BENCH_DB ?? 'pglite') as 'pglite' | 'postgres';
const adminToken = 'bench-fairness-admin-token-0123456789';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

interface Phase {
  name: string;
  requests: number;
  p50: number;
  p95: number;
  max: number;
  worstHealth: number;
  seconds: number;
}

async function main(): Promise<void> {
  const machine = await describeMachine(kind === 'postgres' ? postgresAdminUrl : undefined);
  const db = await createTestDatabase(kind);
  const server = startServerProcess({
    ...(db.url ? { DATABASE_URL: db.url } : {}),
    DATA_DIR: db.dataDir,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    PLATFORM_ADMIN_TOKEN: adminToken,
    NODE_ENV: 'production',
    PUBLIC_BASE_URL: 'http://127.0.0.1',
    RATE_LIMIT_MAX: '100000000',
    PREAUTH_RATE_LIMIT_PER_MINUTE: '100000000',
  });
  try {
    const request = httpRequester(`http://127.0.0.1:${await server.listening}`);
    const tenant = async (code: string) => {
      const created = await request<any>('/api/platform/tenants', {
        headers: { authorization: `Bearer ${adminToken}` },
        body: { code, name: code, defaultCountry: 'IN' },
      });
      if (created.status !== 201) throw new Error(`creating the tenant failed: ${created.text}`);
      return { 'x-client-code': code, 'x-api-key': created.body.data.apiKey.apiKey as string };
    };
    const b = await tenant('fairbenchb');
    let phone = 0;

    /** B's ingest and the health probe until `until` settles (or `count` requests); their times. */
    const measure = async (name: string, until: Promise<unknown> | undefined, count = Infinity) => {
      let finished = false;
      void until?.finally(() => (finished = true));
      const latencies: number[] = [];
      let worstHealth = 0;
      const started = performance.now();
      const ingest = async () => {
        for (let n = 0; !finished && n < count; n++) {
          const begun = performance.now();
          const res = await request('/api/crm/leads', {
            headers: b,
            body: { name: `B ${phone}`, phone: `98${String(phone++).padStart(8, '0')}` },
          });
          if (res.status >= 300) throw new Error(`B's ingest answered ${res.status}: ${res.text}`);
          latencies.push(performance.now() - begun);
        }
        finished = true;
      };
      const probe = async () => {
        while (!finished) {
          const begun = performance.now();
          const res = await request('/health/live');
          if (res.status !== 200) throw new Error(`/health/live answered ${res.status}`);
          worstHealth = Math.max(worstHealth, performance.now() - begun);
          await sleep(200);
        }
      };
      await Promise.all([ingest(), probe(), until]);
      const sorted = latencies.sort((x, y) => x - y);
      const phase: Phase = {
        name,
        requests: sorted.length,
        p50: percentile(sorted, 0.5),
        p95: percentile(sorted, 0.95),
        max: sorted.at(-1) ?? NaN,
        worstHealth,
        seconds: (performance.now() - started) / 1000,
      };
      return phase;
    };

    /** A's background import of `csv`; settles when it is completed. */
    const importOf = async (code: string, csv: string) => {
      const a = await tenant(code);
      const accepted = await request<any>('/api/crm/leads/import?mode=background', {
        headers: { ...a, 'content-type': 'text/csv' },
        body: csv,
      });
      if (accepted.status !== 202) throw new Error(`the import was refused: ${accepted.text}`);
      const id = accepted.body.data.id as string;
      const done = (async () => {
        for (;;) {
          const current = (await request<any>(`/api/crm/imports/${id}`, { headers: a })).body.data;
          if (current.status === 'completed') return current;
          if (current.status === 'failed') throw new Error(`the import failed: ${current.failure}`);
          await sleep(200);
        }
      })();
      return done;
    };

    const phases: Phase[] = [];
    // Warm-up: the first requests compile the routes and fill the caches.
    await measure('warm-up', undefined, 50);
    phases.push(await measure('idle (anchor)', undefined, idleRequests));
    phases.push(
      await measure(
        `A imports ${junkRows} junk rows`,
        importOf('fairbenchjunk', 'phone,name\n' + ',x\n'.repeat(junkRows)),
      ),
    );
    const valid = Array.from({ length: validRows }, (_, n) => `+9177${String(n).padStart(8, '0')},Lead ${n}`);
    phases.push(
      await measure(
        `A imports ${validRows} valid rows`,
        importOf('fairbenchvalid', 'phone,name\n' + valid.join('\n') + '\n'),
      ),
    );

    const anchor = phases[0]!;
    const ms = (value: number) => `${Math.round(value).toLocaleString('en')} ms`;
    const ratio = (value: number, base: number) => `${(value / base).toFixed(1)}×`;
    console.log(`\n${machine}\n`);
    console.log(
      '| phase | B requests | B p50 / p95 / max | × idle p50 / p95 | worst /health/live | seconds |',
    );
    console.log(
      '| ----- | ---------- | ----------------- | ---------------- | ------------------ | ------- |',
    );
    for (const phase of phases)
      console.log(
        `| ${phase.name} | ${phase.requests} | ${ms(phase.p50)} / ${ms(phase.p95)} / ${ms(phase.max)} | ` +
          `${ratio(phase.p50, anchor.p50)} / ${ratio(phase.p95, anchor.p95)} | ${ms(phase.worstHealth)} | ${phase.seconds.toFixed(1)} |`,
      );
  } finally {
    await server.stop();
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
