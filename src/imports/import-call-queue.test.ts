import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobWorker } from '../queue/job-worker.js';
import { startWorker } from '../testing/job-queue.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';
import { dataOf } from '../testing/tenant-client.js';
import { runImportJob } from './imports.jobs.js';

/** Issue 21: a CSV import may queue the leads it creates or updates for calling. */
describe('CSV import into the call queue', () => {
  let t: TestApp;
  let worker: JobWorker;
  let a: TestTenant;
  const upload = (csv: string, query: string) =>
    t.request(`/api/crm/leads/import${query}`, {
      headers: { ...a.headers, 'content-type': 'text/csv' },
      body: csv,
    });
  const queue = async (query = '') => dataOf(await t.crm(a).get(`/call-queue?limit=100${query}`)).items;
  const leadByPhone = async (phone: string) =>
    dataOf(await t.crm(a).get(`/leads?q=${encodeURIComponent(phone)}`)).items[0];

  beforeAll(async () => {
    // Batches of two rows in the background; only the import job runs (no dialer ticks).
    t = await startTestApp({ ROLE: 'web', IMPORT_BATCH_ROWS: '2' });
    worker = await startWorker(t, [runImportJob]);
    a = await t.createTenant('importcalls', { defaultCountry: 'IN' });
  });
  afterAll(async () => {
    await worker?.stop();
    await t?.close();
  });

  it('queues the created and updated leads with the priority and campaign; skips do-not-call', async () => {
    const existing = dataOf(
      await t.crm(a).post('/leads', { name: 'Existing', phone: '+919822200001', assign: false }),
      201,
    ).lead;
    dataOf(await t.crm(a).post('/dnc', { phones: ['+919822200003'] }), 200);
    const csv =
      'Name,Mobile\n' +
      'Existing Again,9822200001\n' +
      'New One,9822200002\n' +
      'Listed,9822200003\n' +
      'Bad,12\n' +
      'New One Again,9822200002\n';
    const res = await upload(csv, '?callQueue=true&callPriority=high&callCampaign=spring&mode=sync');
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ rows: 5, created: 2, duplicates: 2, failed: 1, queued: 2 });
    const created = await leadByPhone('+919822200002');
    const listed = await leadByPhone('+919822200003');
    // Imported (the list refuses calls, not leads), not queued: its number is on the do-not-call list.
    expect(listed).toBeDefined();
    const entries = await queue('&campaign=spring');
    expect(entries.map((entry: any) => entry.leadId).sort()).toEqual([existing.id, created.id].sort());
    for (const entry of entries) expect(entry).toMatchObject({ priority: 'high', status: 'waiting' });

    // Imported again: the leads are already waiting, nothing is queued twice.
    const again = await upload(csv, '?callQueue=true&mode=sync');
    expect(again.body.data).toMatchObject({ duplicates: 4, queued: 0 });
    expect(await queue()).toHaveLength(2);
  });

  it('queues nothing without the option', async () => {
    const before = (await queue()).length;
    const res = await upload('Name,Mobile\nPlain,9822200010\n', '?mode=sync');
    expect(res.body.data).toMatchObject({ created: 1, queued: 0 });
    expect(await queue()).toHaveLength(before);
  });

  it('refuses an unknown priority, or a priority without callQueue=true, at upload', async () => {
    const bad = await upload('Name,Mobile\nNever,9822200020\n', '?callQueue=true&callPriority=asap');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toMatchObject([{ path: 'query.callPriority' }]);
    const stray = await upload('Name,Mobile\nNever,9822200020\n', '?callPriority=high');
    expect(stray.status).toBe(400);
    expect(stray.body.error.details).toMatchObject([{ path: 'query.callPriority' }]);
    expect(await leadByPhone('+919822200020')).toBeUndefined();
  });

  it('a background import keeps the option, queues batch by batch and counts the queued leads', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => `Background ${i},98222003${String(i).padStart(2, '0')}`);
    const accepted = await upload(
      ['Name,Mobile', ...rows].join('\n') + '\n',
      '?callQueue=true&callPriority=urgent&callCampaign=autumn&mode=background',
    );
    expect(accepted.status).toBe(202);
    expect(accepted.body.data).toMatchObject({
      status: 'queued',
      queued: 0,
      callQueue: { priority: 'urgent', campaign: 'autumn' },
    });
    const id = accepted.body.data.id;
    await expect
      .poll(async () => dataOf(await t.crm(a).get(`/imports/${id}`)).status, { timeout: 30_000 })
      .toBe('completed');
    expect(dataOf(await t.crm(a).get(`/imports/${id}`))).toMatchObject({ created: 5, queued: 5 });
    const entries = await queue('&campaign=autumn');
    expect(entries).toHaveLength(5);
    for (const entry of entries) expect(entry).toMatchObject({ priority: 'urgent', status: 'waiting' });

    const plain = await upload('Name,Mobile\nBackground plain,9822200399\n', '?mode=background');
    expect(plain.body.data).toMatchObject({ callQueue: null });
  });
});
