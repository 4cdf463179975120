import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppServices } from '../app/services.js';
import type { JobDefinition } from '../queue/job-types.js';
import type { JobWorker } from '../queue/job-worker.js';
import { startWorker, waitForIdle, waitForStatus } from '../testing/job-queue.js';
import { tenantHandle } from '../testing/job-context.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { runImportJob } from './imports.jobs.js';
import { importProgressEvent } from './run-import.job.js';

/**
 * `rows` data rows after a `Name,Mobile,Email` header; row i is on line i + 2. Every row
 * with i % 100 === 50 has an invalid phone; every row with i % 100 === 99 repeats the
 * phone of the row before it.
 */
function csvOf(rows: number): { csv: string; failedLines: number[]; duplicates: number; created: number } {
  const lines = ['Name,Mobile,Email'];
  const failedLines: number[] = [];
  let duplicates = 0;
  for (let i = 0; i < rows; i++) {
    let phone = `98${String(i).padStart(8, '0')}`;
    if (i % 100 === 50) {
      phone = '12345';
      failedLines.push(i + 2);
    } else if (i % 100 === 99) {
      phone = `98${String(i - 1).padStart(8, '0')}`;
      duplicates++;
    }
    lines.push(`"Lead ${i}, Jr",${phone},lead${i}@example.com`);
  }
  return {
    csv: lines.join('\r\n') + '\r\n',
    failedLines,
    duplicates,
    created: rows - failedLines.length - duplicates,
  };
}

interface Progress {
  id: string;
  status: string;
  total: number;
  created: number;
  duplicates: number;
  failed: number;
}

describe('background CSV import (real queue and worker)', () => {
  let t: TestApp;
  let worker: JobWorker;
  let a: TestTenant;
  let b: TestTenant;
  let socket: Socket;
  const progress: Progress[] = [];
  /** When set, the next run is interrupted right after its first committed batch. */
  let interruptNextRun = false;

  // The real job; a run that must be interrupted gets a signal aborted by its first progress event.
  const interruptibleImportJob: JobDefinition = {
    ...runImportJob,
    handler: async (ctx) => {
      if (!interruptNextRun) return runImportJob.handler(ctx);
      interruptNextRun = false;
      const controller = new AbortController();
      const realtime = {
        emitToTenant: (tenantId: string, event: string, payload: unknown) => {
          ctx.services.realtime.emitToTenant(tenantId, event, payload);
          if (event === importProgressEvent) controller.abort(new Error('worker interrupted'));
        },
      };
      const services = { ...ctx.services, realtime } as unknown as AppServices;
      return runImportJob.handler({ ...ctx, services, signal: controller.signal });
    },
  };

  const upload = (tenant: TestTenant, body: string | Buffer, query = '?mode=background') =>
    t.request(`/api/crm/leads/import${query}`, {
      headers: { ...tenant.headers, 'content-type': 'text/csv' },
      body,
    });
  const getImport = (tenant: TestTenant, id: string) => t.crm(tenant).get(`/imports/${id}`);
  // Counted in the tenant's table: the list API caps its total at 10,000.
  const leadCount = async (tenant: TestTenant) => {
    const { db } = await tenantHandle(t, tenant.tenant.id);
    const row = await db
      .selectFrom('leads')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const finished = async (tenant: TestTenant, id: string, timeout = 60_000) => {
    await expect
      .poll(async () => (await getImport(tenant, id)).body.data.status, { timeout, interval: 100 })
      .toMatch(/completed|failed/);
    return (await getImport(tenant, id)).body.data;
  };

  beforeAll(async () => {
    // The progress events below count batches of 500 rows, on either database.
    t = await startTestApp({ ROLE: 'web', IMPORT_BATCH_ROWS: '500' });
    worker = await startWorker(t, [interruptibleImportJob]);
    a = await t.createTenant('bgimport', { defaultCountry: 'IN' });
    b = await t.createTenant('bgother', { defaultCountry: 'IN' });
    await t.crm(a).post('/agents', { name: 'Import Agent' });
    socket = io(t.baseUrl, {
      auth: { clientCode: 'bgimport', apiKey: a.apiKey },
      transports: ['websocket'],
    });
    socket.on(importProgressEvent, (payload: Progress) => progress.push(payload));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
  });
  afterAll(async () => {
    socket?.disconnect();
    await worker?.stop();
    await t?.close();
  });

  it('runs in the background with progress events, counts, row errors by line; other tenants get 404', async () => {
    const before = await leadCount(a);
    const file = csvOf(1200);
    const accepted = await upload(a, file.csv);
    expect(accepted.status).toBe(202);
    expect(accepted.body.data).toMatchObject({ status: 'queued', bytes: Buffer.byteLength(file.csv) });
    const id = accepted.body.data.id as string;

    const done = await finished(a, id);
    expect(done).toMatchObject({
      status: 'completed',
      total: 1200,
      created: file.created,
      duplicates: file.duplicates,
      failed: file.failedLines.length,
      lastLine: 1201,
      processedBytes: Buffer.byteLength(file.csv),
    });
    expect(done.errors.map((error: { line: number }) => error.line)).toEqual(file.failedLines);
    expect(done.errors[0].reason).toContain('phone');
    expect(await leadCount(a)).toBe(before + file.created);
    const lead = (await t.crm(a).get('/leads?q=lead0%40example.com')).body.data.items[0];
    expect(lead).toMatchObject({ name: 'Lead 0, Jr', phone: '+919800000000' });
    expect(lead.assignedAgentId).toEqual(expect.any(String));

    // One event per committed batch of 500 rows, then the final state.
    await expect.poll(() => progress.filter((p) => p.id === id).at(-1)?.status).toBe('completed');
    const events = progress.filter((p) => p.id === id);
    expect(events.map((p) => p.total)).toEqual([500, 1000, 1200, 1200]);
    expect(events.at(-1)).toMatchObject({ created: file.created, failed: file.failedLines.length });

    const list = await t.crm(a).get('/imports');
    expect(list.body.data.items.map((item: { id: string }) => item.id)).toContain(id);
    expect((await getImport(b, id)).status).toBe(404);
    const paths = Object.keys((await t.request('/api/openapi.json')).body.paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/crm/imports', '/api/crm/imports/{id}']));
    expect((await t.crm(b).get('/imports')).body.data.items).toEqual([]);
  });

  it('sends an import job whose payload its contract refuses to the dead letters', async () => {
    // @ts-expect-error the typed queue refuses it at compile time too: importId is a string
    const { id } = await t.app.services.queue.enqueue(b.tenant.id, 'imports.run', { importId: 42 });
    const row = await waitForStatus(t, b.tenant.id, id, 'dead');
    expect(row.attempts).toBe(1);
    expect(row.errors[0]!.code).toBe('invalid_payload');
    expect(row.last_error).toMatch(/^Invalid payload for job kind 'imports.run': importId: /);
  });

  it('refuses a broken file with 400 before storing or writing anything', async () => {
    const tenant = await t.createTenant('bgbroken', { defaultCountry: 'IN' });
    for (const body of [
      'name,email\nA,a@b.co\n',
      '',
      Buffer.from([0, 159, 146, 150, 1, 2]),
      '"phone,name\n9811111111,A\n',
    ]) {
      const refused = await upload(tenant, body);
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('invalid_file');
    }
    expect(await leadCount(tenant)).toBe(0);
    expect((await t.crm(tenant).get('/imports')).body.data.items).toEqual([]);
    expect(existsSync(join(t.config.database.dataDir, 'media', 'tenants', 'bgbroken'))).toBe(false);
  });

  it('reports a line that is not valid CSV with its line number and carries on', async () => {
    const tenant = await t.createTenant('bgmalformed', { defaultCountry: 'IN' });
    const file = csvOf(600);
    const lines = file.csv.split('\r\n');
    lines[521] = 'Lead "520" unquoted,9811100520,x@example.com'; // row 520, file line 522
    const accepted = await upload(tenant, lines.join('\r\n'));
    expect(accepted.status).toBe(202);
    const done = await finished(tenant, accepted.body.data.id);
    const failedLines = [...file.failedLines, 522].sort((x, y) => x - y);
    expect(done).toMatchObject({
      status: 'completed',
      total: 600,
      created: file.created - 1,
      duplicates: file.duplicates,
      failed: failedLines.length,
    });
    expect(done.errors.map((error: { line: number }) => error.line)).toEqual(failedLines);
    expect(done.errors.find((error: { line: number }) => error.line === 522).reason).toMatch(/Not valid CSV/);
  });

  it('reports errors of different kinds in line order, within the request and in the background', async () => {
    // Each kind is found at another stage: the CSV parser (line 12), the row schema (the email,
    // lines 9 and 19), the ingest (the phone, lines 7 and 25).
    const rows = Array.from(
      { length: 24 },
      (_, i) => `Order ${i},98${String(700 + i).padStart(8, '0')},o${i}@example.com`,
    );
    rows[5] = 'Bad phone,12345,bad.phone@example.com'; // line 7
    rows[7] = 'Bad email,9800099009,not-an-email'; // line 9
    rows[10] = 'Bad "csv" here,9800099012,csv@example.com'; // line 12
    rows[17] = 'Bad email again,9800099019,also@not@valid'; // line 19
    rows[23] = 'Bad phone again,999,bad.again@example.com'; // line 25
    const csv = ['Name,Mobile,Email', ...rows].join('\n') + '\n';
    const expected = [
      { line: 7, reason: expect.stringContaining('phone') },
      { line: 9, reason: expect.stringContaining('email') },
      { line: 12, reason: expect.stringMatching(/Not valid CSV/) },
      { line: 19, reason: expect.stringContaining('email') },
      { line: 25, reason: expect.stringContaining('phone') },
    ];

    const sync = await upload(await t.createTenant(undefined, { defaultCountry: 'IN' }), csv, '?mode=sync');
    expect(sync.status, sync.text).toBe(200);
    expect(sync.body.data).toMatchObject({ rows: 24, created: 19, failed: 5 });
    expect(sync.body.data.errors).toEqual(expected);

    const tenant = await t.createTenant(undefined, { defaultCountry: 'IN' });
    const accepted = await upload(tenant, csv);
    expect(accepted.status).toBe(202);
    const done = await finished(tenant, accepted.body.data.id);
    expect(done).toMatchObject({ status: 'completed', total: 24, created: 19, failed: 5 });
    expect(done.errors).toEqual(expected);
  });

  it('a retried run continues after the last committed batch without duplicating leads', async () => {
    const tenant = await t.createTenant('bgresume', { defaultCountry: 'IN' });
    const file = csvOf(1200);
    interruptNextRun = true;
    const accepted = await upload(tenant, file.csv);
    expect(accepted.status).toBe(202);
    const done = await finished(tenant, accepted.body.data.id);
    expect(done).toMatchObject({
      status: 'completed',
      total: 1200,
      created: file.created,
      duplicates: file.duplicates,
      failed: file.failedLines.length,
    });
    expect(done.errors.map((error: { line: number }) => error.line)).toEqual(file.failedLines);
    expect(await leadCount(tenant)).toBe(file.created);
    const [job] = await waitForIdle(t, tenant.tenant.id);
    expect(job).toMatchObject({ kind: 'imports.run', status: 'succeeded', attempts: 2 });
  });

  it.skipIf(process.env.TEST_DB === 'pglite')(
    '100,000 rows, sent without a mode (auto picks the background) [postgres only: PGlite, one connection in WASM, takes minutes]',
    async () => {
      const tenant = await t.createTenant('bgbig', { defaultCountry: 'IN' });
      const file = csvOf(100_000);
      const accepted = await upload(tenant, file.csv, '?assign=false');
      expect(accepted.status).toBe(202);
      const done = await finished(tenant, accepted.body.data.id, 300_000);
      expect(done).toMatchObject({
        status: 'completed',
        total: 100_000,
        created: file.created,
        duplicates: file.duplicates,
        failed: file.failedLines.length,
      });
      expect(done.errors).toHaveLength(1000);
      expect(done.errors.at(-1).line).toBe(file.failedLines[999]);
      expect(await leadCount(tenant)).toBe(file.created);
    },
    300_000,
  );
});
