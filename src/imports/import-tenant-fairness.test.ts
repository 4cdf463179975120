import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import { createTestDatabase, type TestDatabase } from '../testing/test-database.js';
import { httpRequester } from '../testing/tenant-client.js';

/**
 * Issue 15: while tenant A imported a junk file, tenant B's single-lead ingest took 7.5–9.4 s on the
 * embedded database (one connection, held by A's batch transactions). The bound is generous for a
 * shared CI machine: B's p95 under 1 s, `/health/live` under 1 s, while A imports.
 * `FAIR_JUNK_ROWS` / `FAIR_VALID_ROWS` change the file sizes.
 */
const junkRows = Number(process.env.FAIR_JUNK_ROWS ?? 300_000);
const validRows = Number(process.env.FAIR_VALID_ROWS ?? 20_000);
const adminToken = 'fairness-import-admin-token-0123456789';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

describe("one tenant's import does not stall another tenant's ingest", () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let request: ReturnType<typeof httpRequester>;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = startServerProcess({
      ...(db.url ? { DATABASE_URL: db.url } : {}),
      DATA_DIR: db.dataDir,
      SECRETS_KEY: randomBytes(32).toString('base64'),
      PLATFORM_ADMIN_TOKEN: adminToken,
      // B posts back to back: the measure is its latency, not the per-tenant rate limit.
      RATE_LIMIT_MAX: '1000000',
      PREAUTH_RATE_LIMIT_PER_MINUTE: '1000000',
    });
    request = httpRequester(`http://127.0.0.1:${await server.listening}`);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const tenant = async (code: string) => {
    const created = await request<any>('/api/platform/tenants', {
      headers: { authorization: `Bearer ${adminToken}` },
      body: { code, name: code, defaultCountry: 'IN' },
    });
    expect(created.status).toBe(201);
    return { 'x-client-code': code, 'x-api-key': created.body.data.apiKey.apiKey as string };
  };

  /** Uploads `csv` as A's background import; meanwhile B ingests one lead at a time and health is probed. */
  const measure = async (label: string, csv: string) => {
    const a = await tenant(`fair${label}a`);
    const b = await tenant(`fair${label}b`);
    const accepted = await request<any>('/api/crm/leads/import?mode=background', {
      headers: { ...a, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(accepted.status).toBe(202);
    const id = accepted.body.data.id as string;

    let done: { status: string } | undefined;
    const ingests: number[] = [];
    let slowestHealth = 0;
    const ingest = async () => {
      for (let n = 0; !done; n++) {
        const started = Date.now();
        const res = await request('/api/crm/leads', {
          headers: b,
          body: { name: `B ${n}`, phone: `98${String(n).padStart(8, '0')}` },
        });
        expect(res.status).toBeLessThan(300);
        ingests.push(Date.now() - started);
      }
    };
    const probe = async () => {
      while (!done) {
        const started = Date.now();
        expect((await request('/health/live')).status).toBe(200);
        slowestHealth = Math.max(slowestHealth, Date.now() - started);
        await pause(200);
      }
    };
    const watchImport = async () => {
      while (!done) {
        const current = (await request<any>(`/api/crm/imports/${id}`, { headers: a })).body.data;
        if (current.status === 'completed' || current.status === 'failed') done = current;
        else await pause(500);
      }
    };
    await Promise.all([ingest(), probe(), watchImport()]);
    const sorted = [...ingests].sort((x, y) => x - y);
    const stats = {
      n: sorted.length,
      p50: percentile(sorted, 0.5),
      p95: percentile(sorted, 0.95),
      max: sorted.at(-1),
      slowestHealth,
    };
    console.log(`B's ingest while A imports ${label}:`, JSON.stringify(stats));
    expect(done).toMatchObject({ status: 'completed' });
    expect(stats.p95).toBeLessThan(1000);
    expect(slowestHealth).toBeLessThan(1000);
    // Enough samples for a p95 to mean something.
    expect(sorted.length).toBeGreaterThan(5);
  };

  it(`junk file (${junkRows} rows of ",x"): B's ingest p95 < 1 s, /health/live < 1 s`, async () => {
    await measure('junk', 'phone,name\n' + ',x\n'.repeat(junkRows));
  }, 300_000);

  it(`valid file (${validRows} rows): B's ingest p95 < 1 s, /health/live < 1 s`, async () => {
    const rows = Array.from({ length: validRows }, (_, n) => `+9177${String(n).padStart(8, '0')},Lead ${n}`);
    await measure('valid', 'phone,name\n' + rows.join('\n') + '\n');
  }, 300_000);
});
