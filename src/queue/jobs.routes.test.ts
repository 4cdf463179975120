import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, testAdminToken, type TestApp, type TestTenant } from '../testing/test-app.js';
import type { JobWorker } from './job-worker.js';
import { startWorker, untypedQueue, waitForStatus } from '../testing/job-queue.js';

describe('job visibility routes', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let worker: JobWorker;
  let socket: Socket;
  const events: { event: string; payload: any }[] = [];
  const admin = { authorization: `Bearer ${testAdminToken}` };
  const later = () => new Date(Date.now() + 3_600_000);

  beforeAll(async () => {
    t = await startTestApp({ ROLE: 'web' });
    a = await t.createTenant('acme');
    b = await t.createTenant('globex');
    worker = await startWorker(t, [{ kind: 'ok', handler: async () => ({ done: true }) }]);
    socket = io(t.baseUrl, { auth: { clientCode: 'acme', apiKey: a.apiKey }, transports: ['websocket'] });
    socket.onAny((event: string, payload: unknown) => events.push({ event, payload }));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
  });
  afterAll(async () => {
    socket?.close();
    await worker?.stop();
    await t?.close();
  });

  it("tells the tenant's dashboards when a job finishes or fails", async () => {
    const ok = await untypedQueue(t).enqueue(a.tenant.id, 'ok', {});
    const bad = await untypedQueue(t).enqueue(a.tenant.id, 'unknown.kind', {});
    await untypedQueue(t).enqueue(b.tenant.id, 'ok', {});
    await expect.poll(() => events.length).toBeGreaterThanOrEqual(2);
    expect(events).toContainEqual({
      event: 'job.finished',
      payload: { id: ok.id, kind: 'ok', status: 'succeeded', attempts: 1 },
    });
    expect(events).toContainEqual({
      event: 'job.failed',
      payload: expect.objectContaining({
        id: bad.id,
        status: 'dead',
        error: expect.stringContaining('unknown.kind'),
      }),
    });
    // Nothing of globex reaches acme's room.
    expect(events).toHaveLength(2);
  });

  it("lists only the tenant's own jobs, filtered and paginated", async () => {
    await untypedQueue(t).enqueue(a.tenant.id, 'ok', { n: 1 }, { runAt: later() });
    await untypedQueue(t).enqueue(a.tenant.id, 'ok', { n: 2 }, { runAt: later() });
    const queued = await t.request('/api/automations/jobs?status=queued&kind=ok', { headers: a.headers });
    expect(queued.status).toBe(200);
    expect(queued.body.data.items.map((job: any) => job.payload)).toEqual([{ n: 2 }, { n: 1 }]);
    expect(queued.body.data.items.every((job: any) => job.tenantId === a.tenant.id)).toBe(true);

    const first = await t.request('/api/automations/jobs?limit=1', { headers: a.headers });
    expect(first.body.data.items).toHaveLength(1);
    const second = await t.request(`/api/automations/jobs?limit=1&cursor=${first.body.data.nextCursor}`, {
      headers: a.headers,
    });
    expect(Number(second.body.data.items[0].id)).toBeLessThan(Number(first.body.data.items[0].id));

    const bad = await t.request('/api/automations/jobs?status=sleeping&limit=0', { headers: a.headers });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    expect(bad.body.error.details.map((issue: any) => issue.path).sort()).toEqual([
      'query.limit',
      'query.status',
    ]);

    const globex = await t.request('/api/automations/jobs', { headers: b.headers });
    expect(globex.body.data.items.every((job: any) => job.tenantId === b.tenant.id)).toBe(true);
  });

  it('retries a dead job, and answers 409 for a job that is not dead or failed, 404 across tenants', async () => {
    const dead = await untypedQueue(t).enqueue(a.tenant.id, 'unknown.kind', {});
    await waitForStatus(t, a.tenant.id, dead.id, 'dead');

    const foreign = await t.request(`/api/automations/jobs/${dead.id}/retry`, {
      method: 'POST',
      headers: b.headers,
    });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('not_found');

    const retried = await t.request(`/api/automations/jobs/${dead.id}/retry`, {
      method: 'POST',
      headers: a.headers,
    });
    expect(retried.status).toBe(200);
    expect(retried.body.data).toMatchObject({ id: dead.id, status: 'queued', attempts: 0 });
    const again = await waitForStatus(t, a.tenant.id, dead.id, 'dead');
    expect(again.errors).toHaveLength(2);

    const waiting = await untypedQueue(t).enqueue(a.tenant.id, 'ok', {}, { runAt: later() });
    const conflict = await t.request(`/api/automations/jobs/${waiting.id}/retry`, {
      method: 'POST',
      headers: a.headers,
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toEqual({ code: 'conflict', details: { id: waiting.id, status: 'queued' } });

    const malformed = await t.request('/api/automations/jobs/abc/retry', {
      method: 'POST',
      headers: a.headers,
    });
    expect(malformed.status).toBe(400);
  });

  it('cancels a waiting job once; a finished one answers 409, a foreign one 404', async () => {
    const waiting = await untypedQueue(t).enqueue(a.tenant.id, 'ok', {}, { runAt: later() });
    expect(
      (await t.request(`/api/automations/jobs/${waiting.id}`, { method: 'DELETE', headers: b.headers }))
        .status,
    ).toBe(404);
    const cancelled = await t.request(`/api/automations/jobs/${waiting.id}`, {
      method: 'DELETE',
      headers: a.headers,
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.data.status).toBe('cancelled');
    const twice = await t.request(`/api/automations/jobs/${waiting.id}`, {
      method: 'DELETE',
      headers: a.headers,
    });
    expect(twice.status).toBe(409);
    expect(twice.body.error.details.status).toBe('cancelled');
  });

  it('lists jobs across tenants for platform staff, filtered by tenant', async () => {
    expect((await t.request('/api/platform/jobs')).status).toBe(401);
    const all = await t.request('/api/platform/jobs?limit=200', { headers: admin });
    expect(all.status).toBe(200);
    const tenants = new Set(all.body.data.items.map((job: any) => job.tenantId));
    expect(tenants).toEqual(new Set([a.tenant.id, b.tenant.id]));
    const globex = await t.request('/api/platform/jobs?tenant=globex&status=succeeded', { headers: admin });
    expect(globex.body.data.items.length).toBeGreaterThan(0);
    expect(globex.body.data.items.every((job: any) => job.tenantId === b.tenant.id)).toBe(true);
    const unknown = await t.request('/api/platform/jobs?tenant=nobody', { headers: admin });
    expect(unknown.status).toBe(404);
  });

  it('shows queue depth and the age of the oldest ready job per kind in /health/ready', async () => {
    const res = await t.request('/health/ready');
    expect(res.status).toBe(200);
    const kinds = res.body.data.checks.queue.kinds as any[];
    expect(kinds).toContainEqual(
      expect.objectContaining({ kind: 'ok', scheduled: expect.any(Number), running: 0 }),
    );
    expect(kinds.find((k) => k.kind === 'ok').scheduled).toBeGreaterThanOrEqual(3);
  });
});

describe('the worker role', () => {
  it('runs a worker in ROLE=all, and none in ROLE=web', async () => {
    const t = await startTestApp({ JOB_POLL_MS: '100' });
    try {
      expect(t.app.worker).toBeDefined();
      const { tenant } = await t.createTenant('acme');
      // @ts-expect-error no component declares it, so it does not compile either
      const { id } = await t.app.services.queue.enqueue(tenant.id, 'no.component.handles.this', {});
      expect((await waitForStatus(t, tenant.id, id, 'dead')).errors[0]!.code).toBe('unknown_kind');
    } finally {
      await t.close();
    }
    const web = await startTestApp({ ROLE: 'web' });
    try {
      expect(web.app.worker).toBeUndefined();
      expect(web.app.cron).toBeUndefined();
    } finally {
      await web.close();
    }
  });
});
